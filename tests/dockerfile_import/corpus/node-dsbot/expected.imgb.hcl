# Imported from Dockerfile by imgb import-dockerfile.

component "node-dsbot" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN mkdir -p /app/node_modules && chown -R node:node /app/
    WORKDIR /app
    COPY package.json /app
    USER node
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 node:node; m /app/private 700 node:node; m /app/sub 755 node:node
    USER node
    COPY ./ /app/
    USER root
    RUN chown -h node:node /app/.hidden /app/README.txt /app/link-to-readme /app/package.json /app/private/notes.txt /app/private /app/run.sh /app/sub/inner.txt /app/sub && chmod 700 /app/private && chmod 755 /app/sub
    USER node
    CMD ["npm", "start"]
  EOT
}

template "node-dsbot" {
  description = "Imported from Dockerfile"
  base_image  = "node:14.16.1-alpine"
  build       = <<-EOT
    COMPONENT ${component.node-dsbot.id}
  EOT
}
