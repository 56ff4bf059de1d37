# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-add-copy-with-json" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="Seongyeol Lim <seongyeol37@gmail.com>"
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /go 755 0:0; m /go/src 755 0:0; m /go/src/github.com 755 0:0; m /go/src/github.com/docker 755 0:0; m /go/src/github.com/docker/docker 755 0:0; m /go/src/github.com/docker/docker/private 700 0:0; m '/go/src/github.com/docker/docker/test file' 755 0:0; m '/go/src/github.com/docker/docker/test file/private' 700 0:0
    COPY ./ /go/src/github.com/docker/docker/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /private 700 0:0; m '/test file' 755 0:0; m '/test file/private' 700 0:0
    COPY ./ /
    COPY null /
    COPY nullfile /tmp
    COPY vimrc /tmp
    COPY bashrc /tmp
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /tmp 755 0:0; m /tmp/private 700 0:0
    COPY ["test file/", "/tmp/"]
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /tmp 755 0:0; m '/tmp/test file' 755 0:0; m '/tmp/test file/private' 700 0:0
    COPY ["test file/", "/tmp/test file/"]
  EOT
}

template "buildkit-parser-add-copy-with-json" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-add-copy-with-json.id}
  EOT
}
