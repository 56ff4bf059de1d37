# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-workdir-user" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN adduser -D http -h /home/http
    USER http
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /home 755 http:; m /home/http 755 http:; m /home/http/public 755 http:
    USER http
    WORKDIR /home/http/public
    RUN stat -c '%u:%g %n' $PWD
    RUN touch foobar
  EOT
}

template "buildah-workdir-user" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-workdir-user.id}
  EOT
}
