# Imported from Dockerfile by imgb import-dockerfile.

component "couchdb-action" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apk add --no-cache \
        bash \
        curl
    COPY entrypoint.sh /entrypoint.sh
    ENTRYPOINT ["/entrypoint.sh"]
  EOT
}

template "couchdb-action" {
  description = "Imported from Dockerfile"
  base_image  = "docker:stable"
  build       = <<-EOT
    COMPONENT ${component.couchdb-action.id}
  EOT
}
