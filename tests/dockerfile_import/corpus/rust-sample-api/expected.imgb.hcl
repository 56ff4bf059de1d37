# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 6: COPY --from=build /target/release /app
#   line 7: COPY --from=build /.env.example /.env

component "rust-sample-api" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    CMD "/app/server"
  EOT
}

template "rust-sample-api" {
  description = "Imported from Dockerfile"
  base_image  = "debian:buster-slim"
  build       = <<-EOT
    COMPONENT ${component.rust-sample-api.id}
  EOT
}
