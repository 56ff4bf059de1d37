# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 5: ARG GREETING
#   line 6: ARG VERSION=1.2.3

component "busybox-build" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV APP_HOME="/srv/app" PATH="/srv/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    RUN echo "app:x:1000:1000:app:/home/app:/bin/sh" >> /etc/passwd && \
        echo "app:x:1000:" >> /etc/group && \
        mkdir -p /home/app && chown app:app /home/app
    WORKDIR /srv/app
    COPY files/app.conf ./
    RUN chown app:app ./app.conf
    COPY files/run.sh bin/
    RUN chmod 0750 bin/run.sh
    COPY files/notes.txt /srv/app/
    RUN VERSION='1.2.3' sh -c 'echo "$VERSION it'"'"'s" > /srv/app/version'
    RUN export GREETING='hello from imgb'; echo "$GREETING" > /srv/app/greeting; \
        echo "v1.2.3" >> /srv/app/greeting
    RUN sh -c "$(printf '%s\n' 'set -e' \
        'if [ -f /srv/app/app.conf ]; then' \
        '  echo present > /srv/app/conf-state' \
        'fi')"
    RUN printf '%s\n' "home=$APP_HOME" \
        "version=1.2.3" > /srv/app/env.txt
    RUN printf '%s\n' 'home=$APP_HOME' > /srv/app/literal.txt
    RUN mkdir -p /srv/app && printf '%s\n' 'Welcome to /srv/app' > /srv/app/motd
    USER app
    COPY files/notes.txt /home/app/
    USER root
    RUN chown app:app /home/app/notes.txt
    USER app
    RUN printf '%s\n' 'echo "shell $0 for $(id -un)" > /home/app/who' | sh
    RUN test "$(stat -c %U /home/app/notes.txt)" = app && grep -qx "shell sh for app" /home/app/who
    RUN test "$(stat -c %U /srv/app/app.conf)" = app && \
        test "$(stat -c %a /srv/app/bin/run.sh)" = 750 && \
        grep -qx "hello from imgb" /srv/app/greeting && grep -qx "v1.2.3" /srv/app/greeting && \
        grep -qx present /srv/app/conf-state && \
        grep -qx "home=/srv/app" /srv/app/env.txt && grep -qx "version=1.2.3" /srv/app/env.txt && \
        grep -qx 'home=$APP_HOME' /srv/app/literal.txt && \
        grep -qx "Welcome to /srv/app" /srv/app/motd && \
        grep -qx "1.2.3 it's" /srv/app/version && \
        test -f /srv/app/notes.txt && \
        test "$PWD" = /srv/app && case ":$PATH:" in *:/srv/app/bin:*) true;; *) false;; esac
    CMD ["run.sh"]
  EOT
}

template "busybox-build" {
  description = "Imported from Dockerfile"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.busybox-build.id}
  EOT
}
