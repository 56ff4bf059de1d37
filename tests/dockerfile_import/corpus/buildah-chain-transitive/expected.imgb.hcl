# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 11: COPY --from=transitive2 /output.txt /app/output.txt

component "buildah-chain-transitive" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN cat /app/output.txt
  EOT
}

template "buildah-chain-transitive" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-chain-transitive.id}
  EOT
}
