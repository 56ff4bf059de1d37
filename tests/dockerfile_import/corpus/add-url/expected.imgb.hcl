# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 4: ADD https://example.com/download?file=tool.tar.gz /opt/tool.tar.gz
#   line 5: ADD https://github.com/example/config.git /etc/config
#   line 7: ADD rootfs.tar.gz /

component "add-url" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY https://github.com/krallin/tini/releases/download/v0.19.0/tini /usr/local/bin/tini
    RUN chmod 600 /usr/local/bin/tini
    COPY https://example.com/agent.bin /opt/agent/
    RUN chmod 600 /opt/agent/agent.bin
    COPY config.yaml /etc/app/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /usr 755 0:0; m /usr/local 755 0:0; m /usr/local/scripts 755 0:0; m /usr/local/scripts/private 700 0:0
    COPY scripts/ /usr/local/scripts/
    RUN chmod +x /usr/local/bin/tini
    ENTRYPOINT ["/usr/local/bin/tini", "--"]
  EOT
}

template "add-url" {
  description                = "Imported from Dockerfile"
  base_image                 = "ubuntu:22.04"
  build                      = <<-EOT
    COMPONENT ${component.add-url.id}
  EOT
  internet_max_bandwidth_out = 10 # COPY of URLs downloads on the build instance
}
