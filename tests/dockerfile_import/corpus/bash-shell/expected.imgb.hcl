# Imported from Dockerfile by imgb import-dockerfile.

component "bash-shell" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN /bin/bash -o pipefail -c 'curl -fsSL https://deb.nodesource.com/setup_20.x | bash -     && apt-get install -y nodejs'
    RUN /bin/bash -o pipefail -c 'echo '\''it'\''"'\''"'\''s quoted'\'' | tee /etc/quoted'
    WORKDIR /app
    CMD ["/bin/bash", "-o", "pipefail", "-c", "node server.js"]
  EOT
}

template "bash-shell" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:22.04"
  build       = <<-EOT
    COMPONENT ${component.bash-shell.id}
  EOT
}
