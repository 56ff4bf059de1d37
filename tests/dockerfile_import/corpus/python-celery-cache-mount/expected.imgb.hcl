# Imported from Dockerfile by imgb import-dockerfile.

component "python-celery-cache-mount" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV PYTHONUNBUFFERED="1"
    ENV WORKER_QUEUE="default"
    ENV WORKER_NAME="default"
    ENV CELERY_BROKER_URL="amqp://localhost:5672"
    ENV CELERY_RESULTS_BACKEND="redis://localhost:6379"
    WORKDIR /app
    COPY requirements.lock.txt /app/requirements.txt
    RUN pip install -r requirements.txt
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /app 755 0:0; m /app/private 700 0:0
    COPY ./ /app/
    CMD celery -A tasks worker --loglevel INFO --queues $${WORKER_QUEUE} -n $${WORKER_NAME}
  EOT
}

template "python-celery-cache-mount" {
  description = "Imported from Dockerfile"
  base_image  = "python:3.8.10-slim-buster"
  build       = <<-EOT
    COMPONENT ${component.python-celery-cache-mount.id}
  EOT
}
