# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-arg-in-stage" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN /bin/true
    RUN /bin/true
  EOT
}

template "buildah-arg-in-stage" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-arg-in-stage.id}
  EOT
}
