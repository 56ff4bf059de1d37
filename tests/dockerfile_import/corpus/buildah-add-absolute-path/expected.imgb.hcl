# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-add-absolute-path" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY distutils.cfg /usr/lib/python3.7/distutils/distutils.cfg
    RUN stat -c "permissions=%a" /usr/lib/python3.7/distutils
  EOT
}

template "buildah-add-absolute-path" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu"
  build       = <<-EOT
    COMPONENT ${component.buildah-add-absolute-path.id}
  EOT
}
