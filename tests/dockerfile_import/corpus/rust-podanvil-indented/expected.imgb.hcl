# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 9: COPY --from=builder /usr/src/target/release/podanvil /usr/local/bin

component "rust-podanvil-indented" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    CMD ["/usr/local/bin/podanvil"]
  EOT
}

template "rust-podanvil-indented" {
  description = "Imported from Dockerfile"
  base_image  = "debian:buster-slim"
  build       = <<-EOT
    COMPONENT ${component.rust-podanvil-indented.id}
  EOT
}
