# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-znc" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="Erik Hollensbe <erik@hollensbe.org>"
    RUN apt-get update && apt-get install znc -y
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /.znc 755 0:0; m /.znc/private 700 0:0
    COPY conf/ /.znc/
    CMD ["/usr/bin/znc", "-f", "-r"]
  EOT
}

template "buildkit-parser-znc" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-znc.id}
  EOT
}
