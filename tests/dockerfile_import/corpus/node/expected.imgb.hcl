# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 7: COPY package*.json ./
#   line 13: EXPOSE 3000

component "node" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV NODE_ENV="production"
    WORKDIR /usr/src/app
    RUN npm ci --omit=dev && npm cache clean --force
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
