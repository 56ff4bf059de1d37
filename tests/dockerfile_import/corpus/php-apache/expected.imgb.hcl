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
    COPY src/ /var/www/html/
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
