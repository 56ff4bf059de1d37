# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-add-chown" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY addchown.txt /tmp
    RUN chown -h 2367:3267 $(d=/tmp; [ -d "$d" ] && echo "$d"/addchown.txt || echo "$d")
    RUN stat -c "user:%u group:%g" /tmp/addchown.txt
    CMD /bin/sh
  EOT
}

template "buildah-add-chown" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-add-chown.id}
  EOT
}
