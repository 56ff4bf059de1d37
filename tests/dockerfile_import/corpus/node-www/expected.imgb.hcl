# Imported from Dockerfile by imgb import-dockerfile.

component "node-www" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN mkdir -p /app && chown -R node:node /app
    WORKDIR /app
    USER node
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 node:node
    USER node
    COPY package-extra.json package.json /app/
    USER root
    RUN chown -h node:node /app/package-extra.json /app/package.json
    USER node
    RUN npm install
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 node:node; m /app/nested 755 node:node; m /app/private 700 node:node; m /app/sub 755 node:node
    USER node
    COPY .dockerignore .hidden README.txt other.unmatched package-extra.json package.json run.sh /app/
    COPY nested/ /app/nested/
    COPY private/ /app/private/
    COPY sub/ /app/sub/
    USER root
    RUN ln -sfn README.txt /app/link-to-readme
    USER node
    USER root
    RUN chown -h node:node /app/.dockerignore /app/.hidden /app/README.txt /app/link-to-readme /app/nested/package.json /app/nested /app/other.unmatched /app/package-extra.json /app/package.json /app/private/notes.txt /app/private /app/run.sh /app/sub/inner.txt /app/sub && chmod 700 /app/private && chmod 755 /app/nested /app/sub
    USER node
    CMD ["npm", "run", "start"]
  EOT
}

template "node-www" {
  description = "Imported from Dockerfile"
  base_image  = "node:alpine"
  build       = <<-EOT
    COMPONENT ${component.node-www.id}
  EOT
}
