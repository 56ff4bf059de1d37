# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-multistage-arg" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN echo "$SECRET" > test_file
  EOT
}

template "buildah-multistage-arg" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-multistage-arg.id}
  EOT
}
