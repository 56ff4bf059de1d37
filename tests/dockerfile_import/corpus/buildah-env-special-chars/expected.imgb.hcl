# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-env-special-chars" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV LIB="$(PREFIX)/lib"
  EOT
}

template "buildah-env-special-chars" {
  description = "Imported from Dockerfile"
  base_image  = "docker.io/ubuntu"
  build       = <<-EOT
    COMPONENT ${component.buildah-env-special-chars.id}
  EOT
}
