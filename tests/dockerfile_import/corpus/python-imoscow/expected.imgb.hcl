# Imported from Dockerfile by imgb import-dockerfile.

component "python-imoscow" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    COPY requirements.txt /app/
    RUN pip install ultralytics fastapi bootstrap-py python-ffmpeg imagehash python-multipart uvicorn[standard]
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 0:0; m /app/private 700 0:0
    COPY ./ /app/
  EOT
}

template "python-imoscow" {
  description = "Imported from Dockerfile"
  base_image  = "python:3.9.5-slim-buster"
  build       = <<-EOT
    COMPONENT ${component.python-imoscow.id}
  EOT
}
