# Imported from Dockerfile by imgb import-dockerfile.

component "node-lazyscalp" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    COPY package.json /app/
    RUN npm install
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 0:0; m /app/private 700 0:0
    COPY ./ /app/
    USER node
    CMD ["npm", "start"]
  EOT
}

template "node-lazyscalp" {
  description = "Imported from Dockerfile"
  base_image  = "node:16.16.0"
  build       = <<-EOT
    COMPONENT ${component.node-lazyscalp.id}
  EOT
}
