# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 11: EXPOSE 80 443
#   line 12: STOPSIGNAL SIGQUIT

component "nginx" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL org.opencontainers.image.title="web" org.opencontainers.image.source="https://example.com/web"
    RUN rm /etc/nginx/conf.d/default.conf
    COPY nginx.conf /etc/nginx/nginx.conf
    COPY conf.d/ /etc/nginx/conf.d/
    COPY html/ /usr/share/nginx/html/
    CMD ["nginx", "-g", "daemon off;"]
  EOT
}

template "nginx" {
  description = "Imported from Dockerfile"
  base_image  = "nginx:1.25-alpine"
  build       = <<-EOT
    COMPONENT ${component.nginx.id}
  EOT
}
