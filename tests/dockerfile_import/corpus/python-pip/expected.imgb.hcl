# Imported from Dockerfile by imgb import-dockerfile.

component "python-pip" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV PYTHONDONTWRITEBYTECODE="1" PYTHONUNBUFFERED="1" PIP_NO_CACHE_DIR="1"
    WORKDIR /app
    COPY requirements.txt /app/
    RUN pip install --upgrade pip && \
        pip install -r requirements.txt
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 0:0; m /app/src 755 0:0; m /app/src/private 700 0:0
    COPY src/ /app/src/
    RUN useradd --create-home --uid 10001 appuser
    USER appuser
    ENTRYPOINT ["python", "-m", "src.main"]
    CMD ["--port", "8000"]
  EOT
}

template "python-pip" {
  description = "Imported from Dockerfile"
  base_image  = "python:3.12-slim"
  build       = <<-EOT
    COMPONENT ${component.python-pip.id}
  EOT
}
