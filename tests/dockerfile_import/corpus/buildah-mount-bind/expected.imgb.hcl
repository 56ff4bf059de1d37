# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 4: RUN --mount=type=bind,source=.,target=/test,z cat /test/input_file

component "buildah-mount-bind" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN mkdir /test
    RUN cat /test/input_file
  EOT
}

template "buildah-mount-bind" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-mount-bind.id}
  EOT
}
