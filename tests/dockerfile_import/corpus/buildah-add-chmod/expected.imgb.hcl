# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-add-chmod" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY addchmod.txt /tmp
    RUN chmod 777 $(d=/tmp; [ -d "$d" ] && echo "$d"/addchmod.txt || echo "$d")
    RUN ls -l /tmp/addchmod.txt
    CMD /bin/sh
  EOT
}

template "buildah-add-chmod" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-add-chmod.id}
  EOT
}
