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
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /etc 755 0:0; m /etc/nginx 755 0:0; m /etc/nginx/conf.d 755 0:0; m /etc/nginx/conf.d/private 700 0:0
    COPY conf.d/ /etc/nginx/conf.d/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /usr 755 0:0; m /usr/share 755 0:0; m /usr/share/nginx 755 0:0; m /usr/share/nginx/html 755 0:0; m /usr/share/nginx/html/private 700 0:0
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
