# Imported from Dockerfile by imgb import-dockerfile.

component "copy-into-existing" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN mkdir -p /srv/app/conf /srv/app/data && chmod 700 /srv/app/data && echo keep > /srv/app/conf/old.txt
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /srv 755 1000:1000; m /srv/app 755 1000:1000; m /srv/app/conf 755 1000:1000; m /srv/app/data 755 1000:1000
    COPY app/ /srv/app/
    RUN chown -h 1000:1000 /srv/app/conf/app.conf /srv/app/conf /srv/app/data/x /srv/app/data && chmod 755 /srv/app/conf /srv/app/data
    COPY app/conf/ /srv/conf-copy/
    RUN chmod 750 /srv/conf-copy/app.conf
    ENTRYPOINT ["/bin/sh", "-c"]
  EOT
}

template "copy-into-existing" {
  description = "Imported from Dockerfile"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.copy-into-existing.id}
  EOT
}
