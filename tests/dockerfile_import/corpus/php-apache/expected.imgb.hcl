# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 8: COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
#   line 12: EXPOSE 80

component "php-apache" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apt-get update && apt-get install -y --no-install-recommends libzip-dev unzip \
        && docker-php-ext-install pdo_mysql zip \
        && rm -rf /var/lib/apt/lists/*
    RUN a2enmod rewrite headers
    ENV APACHE_DOCUMENT_ROOT="/var/www/html/public"
    RUN sed -ri -e 's!/var/www/html!$${APACHE_DOCUMENT_ROOT}!g' /etc/apache2/sites-available/*.conf
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /var 755 www-data:www-data; m /var/www 755 www-data:www-data; m /var/www/html 755 www-data:www-data; m /var/www/html/private 700 www-data:www-data; m /var/www/html/sub 755 www-data:www-data
    COPY src/ /var/www/html/
    RUN chown -h www-data:www-data /var/www/html/.hidden /var/www/html/README.txt /var/www/html/link-to-readme /var/www/html/private/notes.txt /var/www/html/private /var/www/html/run.sh /var/www/html/sub/inner.txt /var/www/html/sub && chmod 700 /var/www/html/private && chmod 755 /var/www/html/sub
    WORKDIR /var/www/html
    RUN composer install --no-dev --optimize-autoloader
  EOT
}

template "php-apache" {
  description = "Imported from Dockerfile"
  base_image  = "php:8.3-apache"
  build       = <<-EOT
    COMPONENT ${component.php-apache.id}
  EOT
}
