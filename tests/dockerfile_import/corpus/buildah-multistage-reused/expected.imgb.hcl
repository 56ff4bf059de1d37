# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-multistage-reused" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN pwd
  EOT
}

template "buildah-multistage-reused" {
  description = "Imported from Dockerfile"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.buildah-multistage-reused.id}
  EOT
}
