# Imported from Dockerfile by imgb import-dockerfile.

component "tfsec-sarif-action" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apk --no-cache --update add bash
    COPY entrypoint.sh /entrypoint.sh
    ENTRYPOINT ["/entrypoint.sh"]
  EOT
}

template "tfsec-sarif-action" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.16.2"
  build       = <<-EOT
    COMPONENT ${component.tfsec-sarif-action.id}
  EOT
}
