# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 11: EXPOSE 8000

component "rust-app-rocket" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 0:0; m /app/private 700 0:0
    COPY ./ /app/
    RUN cargo build --release
    ENV ROCKET_ADDRESS="0.0.0.0"
    ENV ROCKET_PORT="8000"
    CMD ["cargo", "run", "--release"]
  EOT
}

template "rust-app-rocket" {
  description = "Imported from Dockerfile"
  base_image  = "rust:latest"
  build       = <<-EOT
    COMPONENT ${component.rust-app-rocket.id}
  EOT
}
