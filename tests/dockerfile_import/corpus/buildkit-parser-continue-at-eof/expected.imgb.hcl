# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-continue-at-eof" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN something
  EOT
}

template "buildkit-parser-continue-at-eof" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.5"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-continue-at-eof.id}
  EOT
}
