# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 2: MAINTAINER Platform Team <platform@example.com>

component "alpine-apk" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apk add --no-cache \
        ca-certificates \
        curl \
        tzdata \
        && adduser -D -u 1000 app
    ENV TZ="UTC"
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /home 755 app:app; m /home/app 755 app:app; m /home/app/private 700 app:app; m /home/app/sub 755 app:app
    COPY app/ /home/app/
    RUN chown -h app:app /home/app/.hidden /home/app/README.txt /home/app/link-to-readme /home/app/private/notes.txt /home/app/private /home/app/run.sh /home/app/sub/inner.txt /home/app/sub && chmod 700 /home/app/private && chmod 755 /home/app/sub
    COPY run.sh /usr/local/bin/run.sh
    RUN chmod 0755 $(d=/usr/local/bin/run.sh; [ -d "$d" ] && echo "$d"/run.sh || echo "$d")
    USER app
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /home 755 app:; m /home/app 755 app:
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
