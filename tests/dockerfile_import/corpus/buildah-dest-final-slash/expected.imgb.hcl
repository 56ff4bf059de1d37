# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 3: COPY --from=base /bin/ls /test/
#   line 4: COPY --from=base /bin/sh /bin/

component "buildah-dest-final-slash" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN /test/ls -lR /test/ls
  EOT
}

template "buildah-dest-final-slash" {
  description = "Imported from Dockerfile"
  base_image  = "scratch"
  build       = <<-EOT
    COMPONENT ${component.buildah-dest-final-slash.id}
  EOT
}
