# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 7: COPY --from=build /app/dist /usr/share/nginx/html

component "nginx-kwagga-dotdot" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY nginx.conf /etc/nginx/nginx.conf
  EOT
}

template "nginx-kwagga-dotdot" {
  description = "Imported from Dockerfile"
  base_image  = "nginx:1.17.1"
  build       = <<-EOT
    COMPONENT ${component.nginx-kwagga-dotdot.id}
  EOT
}
