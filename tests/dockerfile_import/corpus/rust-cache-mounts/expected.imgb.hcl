# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 18: RUN --mount=type=secret,id=apt_auth,target=/etc/apt/auth.conf \
#   line 21: COPY --from=builder /app/target/release/app /usr/local/bin/app

component "rust-cache-mounts" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
        && rm -rf /var/lib/apt/lists/*
    ENTRYPOINT ["/usr/local/bin/app"]
  EOT
}

template "rust-cache-mounts" {
  description = "Imported from Dockerfile"
  base_image  = "debian:bookworm-slim"
  build       = <<-EOT
    COMPONENT ${component.rust-cache-mounts.id}
  EOT
}
