# Imported from Dockerfile by imgb import-dockerfile.

component "python-efva-stages" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    COPY requirements.txt /app/
    RUN pip install -r /app/requirements.txt
    WORKDIR /var/www/efva
    COPY app.py spiellogik.py wsgi.py login.py uwsgi.ini /var/www/efva/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /var 755 0:0; m /var/www 755 0:0; m /var/www/efva 755 0:0; m /var/www/efva/Datenbankverbindung 755 0:0; m /var/www/efva/Datenbankverbindung/private 700 0:0
    COPY Datenbankverbindung/ /var/www/efva/Datenbankverbindung/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /var 755 0:0; m /var/www 755 0:0; m /var/www/efva 755 0:0; m /var/www/efva/static 755 0:0; m /var/www/efva/static/private 700 0:0
    COPY static/ /var/www/efva/static/
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /var 755 0:0; m /var/www 755 0:0; m /var/www/efva 755 0:0; m /var/www/efva/templates 755 0:0; m /var/www/efva/templates/private 700 0:0
    COPY templates/ /var/www/efva/templates/
  EOT
}

template "python-efva-stages" {
  description = "Imported from Dockerfile"
  base_image  = "python"
  build       = <<-EOT
    COMPONENT ${component.python-efva-stages.id}
  EOT
}
