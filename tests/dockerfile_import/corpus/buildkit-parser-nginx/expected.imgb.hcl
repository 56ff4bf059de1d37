# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 13: VOLUME /www
#   line 14: EXPOSE 80

component "buildkit-parser-nginx" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="Erik Hollensbe <erik@hollensbe.org>"
    RUN apt-get update && apt-get install nginx-full -y
    RUN rm -rf /etc/nginx
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /etc 755 0:0; m /etc/nginx 755 0:0; m /etc/nginx/private 700 0:0
    COPY etc/ /etc/nginx/
    RUN chown -R root:root /etc/nginx
    RUN /usr/sbin/nginx -qt
    RUN mkdir /www
    CMD ["/usr/sbin/nginx"]
  EOT
}

template "buildkit-parser-nginx" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-nginx.id}
  EOT
}
