# Imported from Dockerfile by imgb import-dockerfile.

component "node-oci-cf-ip-rule" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    COPY package.json /app/
    COPY package-lock.json /app/
    RUN npm ci
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 0:0; m /app/private 700 0:0
    COPY ./ /app/
    CMD ["npm", "start"]
  EOT
}

template "node-oci-cf-ip-rule" {
  description = "Imported from Dockerfile"
  base_image  = "node:lts-alpine"
  build       = <<-EOT
    COMPONENT ${component.node-oci-cf-ip-rule.id}
  EOT
}
