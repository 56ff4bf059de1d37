# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 6: RUN --mount=type=cache,target=/test/cache,z \

component "buildah-mount-multiple" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN mkdir /test
    RUN cat /test/input_file
  EOT
}

template "buildah-mount-multiple" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-mount-multiple.id}
  EOT
}
