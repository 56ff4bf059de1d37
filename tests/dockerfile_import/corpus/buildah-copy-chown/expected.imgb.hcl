# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-copy-chown" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY copychown.txt /tmp
    RUN chown -h 2367:3267 $(d=/tmp; [ -d "$d" ] && echo "$d"/copychown.txt || echo "$d")
    RUN stat -c "user:%u group:%g" /tmp/copychown.txt
    CMD /bin/sh
  EOT
}

template "buildah-copy-chown" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-copy-chown.id}
  EOT
}
