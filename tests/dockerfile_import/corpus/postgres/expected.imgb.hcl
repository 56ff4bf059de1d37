# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 23: VOLUME /var/lib/postgresql/data
#   line 29: STOPSIGNAL SIGINT
#   line 30: EXPOSE 5432

component "postgres" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN set -ex; \
        if ! command -v gpg > /dev/null; then \
        apt-get update; \
        apt-get install -y --no-install-recommends gnupg dirmngr; \
        rm -rf /var/lib/apt/lists/*; \
        fi
    RUN groupadd -r postgres --gid=999 && \
        useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres && \
        mkdir -p /var/lib/postgresql && chown -R postgres:postgres /var/lib/postgresql
    ENV LANG="en_US.utf8"
    ENV PG_MAJOR="16"
    ENV PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/16/bin"
    RUN apt-get update && apt-get install -y --no-install-recommends "postgresql-$PG_MAJOR" && \
        rm -rf /var/lib/apt/lists/*
    ENV PGDATA="/var/lib/postgresql/data"
    RUN mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" && chmod 1777 "$PGDATA"
    COPY docker-entrypoint.sh /usr/local/bin/
    RUN ln -s usr/local/bin/docker-entrypoint.sh / # backwards compat
    ENTRYPOINT ["docker-entrypoint.sh"]
    CMD ["postgres"]
  EOT
}

template "postgres" {
  description = "Imported from Dockerfile"
  base_image  = "debian:bookworm-slim"
  build       = <<-EOT
    COMPONENT ${component.postgres.id}
  EOT
}
