# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-dockerignore" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY test2 ./
  EOT
}

template "buildah-dockerignore" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-dockerignore.id}
  EOT
}
