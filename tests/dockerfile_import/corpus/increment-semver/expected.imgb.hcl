# Imported from Dockerfile by imgb import-dockerfile.

component "increment-semver" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY entrypoint.sh /usr/bin/
    RUN apk add --no-cache bash
    RUN ln -s /usr/bin/entrypoint.sh
    ENTRYPOINT ["entrypoint.sh"]
  EOT
}

template "increment-semver" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.10"
  build       = <<-EOT
    COMPONENT ${component.increment-semver.id}
  EOT
}
