# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 13: EXPOSE 3000

component "node" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV NODE_ENV="production"
    WORKDIR /usr/src/app
    COPY package-extra.json package.json /usr/src/app/
    RUN npm ci --omit=dev && npm cache clean --force
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /usr 755 0:0; m /usr/src 755 0:0; m /usr/src/app 755 0:0; m /usr/src/app/private 700 0:0
    COPY ./ /usr/src/app/
    USER node
    CMD ["node", "server.js"]
  EOT
}

template "node" {
  description = "Imported from Dockerfile"
  base_image  = "node:20-alpine"
  build       = <<-EOT
    COMPONENT ${component.node.id}
  EOT
}
