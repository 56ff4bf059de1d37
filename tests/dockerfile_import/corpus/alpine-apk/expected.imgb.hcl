# Imported from Dockerfile by imgb import-dockerfile.

component "alpine-apk" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="Platform Team <platform@example.com>"
    RUN apk add --no-cache \
            ca-certificates \
            curl \
            tzdata \
        && adduser -D -u 1000 app
    ENV TZ="UTC"
    COPY app/ /home/app/
    RUN chown -R app:app /home/app/
    COPY run.sh /usr/local/bin/run.sh
    RUN chmod 0755 /usr/local/bin/run.sh
    USER app
    WORKDIR /home/app
    CMD ["/usr/local/bin/run.sh"]
  EOT
}

template "alpine-apk" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.19"
  build       = <<-EOT
    COMPONENT ${component.alpine-apk.id}
  EOT
}
