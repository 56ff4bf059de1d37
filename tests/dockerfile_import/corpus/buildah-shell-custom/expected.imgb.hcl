# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-shell-custom" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN /bin/bash -c 'echo "SHELL=$0"'
  EOT
}

template "buildah-shell-custom" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu"
  build       = <<-EOT
    COMPONENT ${component.buildah-shell-custom.id}
  EOT
}
