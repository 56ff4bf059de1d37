# Imported from Dockerfile by imgb import-dockerfile.

component "custom-action" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY entrypoint.sh /entrypoint.sh
    RUN chmod 755 /entrypoint.sh
    ENTRYPOINT ["/entrypoint.sh"]
  EOT
}

template "custom-action" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.custom-action.id}
  EOT
}
