# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-arg-stage-overrides-header" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN export FOO=stage; echo $FOO > /foo.txt
  EOT
}

template "buildah-arg-stage-overrides-header" {
  description = "Imported from Dockerfile"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.buildah-arg-stage-overrides-header.id}
  EOT
}
