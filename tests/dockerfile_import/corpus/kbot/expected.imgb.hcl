# Imported from Dockerfile by imgb import-dockerfile.

component "kbot" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /go/src/app
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /go 755 0:0; m /go/src 755 0:0; m /go/src/app 755 0:0; m /go/src/app/private 700 0:0
    COPY ./ /go/src/app/
    RUN export TARGETARCH=amd64; make build TARGETARCH=$TARGETARCH
  EOT
}

template "kbot" {
  description = "Imported from Dockerfile"
  base_image  = "quay.io/projectquay/golang:1.20"
  build       = <<-EOT
    COMPONENT ${component.kbot.id}
  EOT
}
