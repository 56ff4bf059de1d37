# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 6: EXPOSE 5300

component "node-serve-site" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /usr/src/app
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /usr 755 0:0; m /usr/src 755 0:0; m /usr/src/app 755 0:0; m /usr/src/app/private 700 0:0
    COPY ./ /usr/src/app/
    RUN npm install
    RUN npm run build
    CMD ["serve", "-s", "./dist", "-p", "5300"]
  EOT
}

template "node-serve-site" {
  description = "Imported from Dockerfile"
  base_image  = "node:18"
  build       = <<-EOT
    COMPONENT ${component.node-serve-site.id}
  EOT
}
