# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 41: VOLUME /data
#   line 47: EXPOSE 6379

component "redis" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN set -eux; \
        groupadd -r -g 999 redis; \
        useradd -r -g redis -u 999 redis
    ENV REDIS_VERSION="7.2.4"
    ENV REDIS_DOWNLOAD_URL="http://download.redis.io/releases/redis-7.2.4.tar.gz"
    ENV REDIS_DOWNLOAD_SHA="8d104c26a154b29fd67d6568b4f375212212ad41e0c2caa3d66480e78dbd3b59"
    RUN set -eux; \
        savedAptMark="$(apt-mark showmanual)"; \
        apt-get update; \
        apt-get install -y --no-install-recommends \
        ca-certificates \
        wget \
        dpkg-dev \
        gcc \
        libc6-dev \
        make \
        ; \
        rm -rf /var/lib/apt/lists/*; \
        wget -O redis.tar.gz "$REDIS_DOWNLOAD_URL"; \
        echo "$REDIS_DOWNLOAD_SHA *redis.tar.gz" | sha256sum -c -; \
        mkdir -p /usr/src/redis; \
        tar -xzf redis.tar.gz -C /usr/src/redis --strip-components=1; \
        rm redis.tar.gz; \
        make -C /usr/src/redis -j "$(nproc)" all; \
        make -C /usr/src/redis install; \
        rm -r /usr/src/redis; \
        apt-mark auto '.*' > /dev/null; \
        [ -z "$savedAptMark" ] || apt-mark manual $savedAptMark > /dev/null; \
        apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
        redis-cli --version; \
        redis-server --version
    RUN mkdir /data && chown redis:redis /data
    WORKDIR /data
    COPY docker-entrypoint.sh /usr/local/bin/
    ENTRYPOINT ["docker-entrypoint.sh"]
    CMD ["redis-server"]
  EOT
}

template "redis" {
  description = "Imported from Dockerfile"
  base_image  = "debian:bookworm-slim"
  build       = <<-EOT
    COMPONENT ${component.redis.id}
  EOT
}
