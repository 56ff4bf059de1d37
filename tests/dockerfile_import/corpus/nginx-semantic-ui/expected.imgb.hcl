# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 8: COPY --from=build /app/dist/ /usr/share/nginx/html

component "nginx-semantic-ui" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY nginx.conf /etc/nginx/conf.d/default.conf
  EOT
}

template "nginx-semantic-ui" {
  description = "Imported from Dockerfile"
  base_image  = "nginx"
  build       = <<-EOT
    COMPONENT ${component.nginx-semantic-ui.id}
  EOT
}
