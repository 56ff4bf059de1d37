# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 2: ONBUILD COPY . /app/src
#   line 3: ONBUILD RUN make -C /app/src
#   line 5: HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1
#   line 6: VOLUME ["/var/lib/worker", "/var/log/worker"]
#   line 7: EXPOSE 8080/tcp 9090/udp
#   line 8: STOPSIGNAL SIGTERM

component "misc-instructions" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN useradd -u 1001 worker
    USER 1001:1001
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m relative 755 1001:1001; m relative/dir 755 1001:1001
    USER 1001:1001
    WORKDIR relative/dir
    ENTRYPOINT /usr/local/bin/worker --config /etc/worker.yaml
    CMD ["--verbose"]
  EOT
}

template "misc-instructions" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:22.04"
  build       = <<-EOT
    COMPONENT ${component.misc-instructions.id}
  EOT
}
