# Imported from Dockerfile by imgb import-dockerfile.

component "debian-apt" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL description="Build tools" vendor="Example Corp"
    RUN export DEBIAN_FRONTEND=noninteractive; apt-get update \
        && apt-get install -y --no-install-recommends \
        build-essential \
        git \
        mercurial \
        curl \
        wget \
        && apt-get clean \
        && rm -rf /var/lib/apt/lists/*
    RUN export DEBIAN_FRONTEND=noninteractive; echo 'path-exclude /usr/share/doc/*' > /etc/dpkg/dpkg.cfg.d/excludes \
        && echo "done"
    WORKDIR /workspace
    ENTRYPOINT ["/bin/bash"]
  EOT
}

template "debian-apt" {
  description = "Imported from Dockerfile"
  base_image  = "debian:bookworm"
  build       = <<-EOT
    COMPONENT ${component.debian-apt.id}
  EOT
}
