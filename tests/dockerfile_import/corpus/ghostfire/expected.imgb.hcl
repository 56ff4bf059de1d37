# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 87: COPY --from=mynode --chown=node:node /usr/local/bin/node /usr/bin/
#   line 88: COPY --from=mynode --chown=node:node /usr/lib/libgcc* /usr/lib/libstdc* /usr/lib/
#   line 142: VOLUME "${GHOST_CONTENT}"
#   line 144: EXPOSE 2368
#   line 235: COPY --from=ghost-builder --chown=node:node "${GHOST_INSTALL}" "${GHOST_INSTALL}"

component "ghostfire" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV GHOST_USER="node"
    RUN set -eux && \
        addgroup -g 1000 "$${GHOST_USER}"                              && \
        adduser -u 1000 -G "$${GHOST_USER}" -s /bin/sh -D node         ;
    RUN set -eux && apk add --no-cache \
        'su-exec>=0.2-r1' bash curl tini tzdata && \
        cp /usr/share/zoneinfo/America/New_York /etc/localtime        && \
        echo "America/New_York" > /etc/timezone                       && \
        apk del tzdata                                                && \
        rm -rvf /var/cache/apk/* /tmp/*                               ;
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /usr 755 node:node; m /usr/local 755 node:node
    COPY docker-entrypoint.sh /usr/local/bin
    RUN chown -h node:node $(d=/usr/local/bin; [ -d "$d" ] && echo "$d"/docker-entrypoint.sh || echo "$d")
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /usr 755 node:node; m /usr/local 755 node:node
    COPY Dockerfile /usr/local/bin
    RUN chown -h node:node $(d=/usr/local/bin; [ -d "$d" ] && echo "$d"/Dockerfile || echo "$d")
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /usr 755 node:node; m /usr/local 755 node:node
    COPY README.md /usr/local/bin
    RUN chown -h node:node $(d=/usr/local/bin; [ -d "$d" ] && echo "$d"/README.md || echo "$d")
    ENV GHOST_INSTALL="/var/lib/ghost" GHOST_CONTENT="/var/lib/ghost/content" NODE_ENV="production" GHOST_USER="node" VERSION="3.41.2" GHOST_CLI_VERSION="1.15.3"
    ENV PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/var/lib/ghost/current/node_modules/knex-migrator/bin"
    LABEL org.opencontainers.image.authors="Pascal Andy https://firepress.org/en/contact/" org.opencontainers.image.vendors="https://firepress.org/" org.opencontainers.image.created="$(date +%Y-%m-%d_%HH%Ms%S)" org.opencontainers.image.commit="$(git rev-parse --short HEAD)" org.opencontainers.image.title="Ghost V2" org.opencontainers.image.description="Docker image for Ghost 3.41.2" org.opencontainers.image.url="https://hub.docker.com/r/devmtl/ghostfire/tags/" org.opencontainers.image.source="https://github.com/firepress-org/ghostfire" org.opencontainers.image.licenses="GNUv3 https://github.com/pascalandy/GNU-GENERAL-PUBLIC-LICENSE/blob/master/LICENSE.md" org.firepress.image.cliversion="1.15.3" org.firepress.image.user="node" org.firepress.image.node-env="production" org.firepress.image.nodeversion="14.15-alpine3.12" org.firepress.image.alpineversion="3.12" org.firepress.image.schemaversion="1.0"
    WORKDIR /var/lib/ghost
    USER node
    ENTRYPOINT ["/sbin/tini", "--", "docker-entrypoint.sh"]
    CMD ["node", "current/index.js"]
  EOT
}

template "ghostfire" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.12"
  build       = <<-EOT
    COMPONENT ${component.ghostfire.id}
  EOT
}
