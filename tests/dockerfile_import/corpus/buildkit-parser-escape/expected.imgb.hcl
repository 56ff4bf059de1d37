# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-escape" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="foo@bar.com"
    ENV GOPATH="\\go"
  EOT
}

template "buildkit-parser-escape" {
  description = "Imported from Dockerfile"
  base_image  = "image"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-escape.id}
  EOT
}
