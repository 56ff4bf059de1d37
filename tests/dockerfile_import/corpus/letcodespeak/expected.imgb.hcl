# Imported from Dockerfile by imgb import-dockerfile.

component "letcodespeak" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 0:0; m /app/private 700 0:0
    COPY ./ /app/
    RUN go mod tidy
    RUN CGO_ENABLED="0" GOARCH=$${arch} go build -ldflags="-s -w" -a -o App
    ENTRYPOINT ["./App"]
  EOT
}

template "letcodespeak" {
  description = "Imported from Dockerfile"
  base_image  = "golang:alpine"
  build       = <<-EOT
    COMPONENT ${component.letcodespeak.id}
  EOT
}
