# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 13: EXPOSE 80

component "wordpress-unset-args" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV WORDPRESS_SITE_NAME="$WORDPRESS_SITE_NAME"
    ENV WORDPRESS_ADMIN_EMAIL="$WORDPRESS_ADMIN_EMAIL"
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /var 755 0:0; m /var/www 755 0:0; m /var/www/html 755 0:0; m /var/www/html/wp-content 755 0:0; m /var/www/html/wp-content/private 700 0:0
    COPY wp-content/ /var/www/html/wp-content/
    RUN chown -R www-data:www-data /var/www/html/wp-content
  EOT
}

template "wordpress-unset-args" {
  description = "Imported from Dockerfile"
  base_image  = "wordpress:latest"
  build       = <<-EOT
    COMPONENT ${component.wordpress-unset-args.id}
  EOT
}
