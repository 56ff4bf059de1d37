# Imported from Dockerfile by imgb import-dockerfile.

component "busybox-build" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV APP_HOME="/srv/app" PATH="/srv/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    RUN export GREETING='hello from imgb' VERSION=1.2.3; echo "app:x:1000:1000:app:/home/app:/bin/sh" >> /etc/passwd && \
        echo "app:x:1000:" >> /etc/group && \
        mkdir -p /home/app && chown app:app /home/app
    WORKDIR /srv/app
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /srv 755 app:app; m /srv/app 755 app:app
    COPY files/app.conf /srv/app/
    RUN chown -h app:app /srv/app/app.conf
    COPY files/run.sh /srv/app/bin/
    RUN chmod 0750 /srv/app/bin/run.sh
    COPY files/notes.txt /srv/app/
    RUN export GREETING='hello from imgb' VERSION=1.2.3; exec sh -c 'echo "$VERSION it'\''s" > /srv/app/version'
    RUN export GREETING='hello from imgb' VERSION=1.2.3; /bin/sh -c "$(printf '%s\n' 'echo "$GREETING" > /srv/app/greeting' \
        'echo "v$VERSION" >> /srv/app/greeting')"
    RUN export GREETING='hello from imgb' VERSION=1.2.3; /bin/sh -c "$(printf '%s\n' 'set -e' \
        'if [ -f /srv/app/app.conf ]; then' \
        '  echo present > /srv/app/conf-state' \
        'fi')"
    RUN export GREETING='hello from imgb' VERSION=1.2.3; /bin/sh -c "$(printf '%s\n' 'cat <<EOF > /srv/app/env.txt' \
        'home=$APP_HOME' \
        'version=$${VERSION}' \
        'EOF')"
    RUN export GREETING='hello from imgb' VERSION=1.2.3; /bin/sh -c "$(printf '%s\n' 'cat <<'\''EOF'\'' > /srv/app/literal.txt' \
        'home=$APP_HOME' \
        'EOF')"
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /srv 755 0:0; m /srv/app 755 0:0
    RUN [ -d /srv/app/motd ] && t=/srv/app/motd/EOF || t=/srv/app/motd; printf '%s\n' 'Welcome to /srv/app' > "$t" && chmod 644 "$t"
    USER app
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /home 755 app:app; m /home/app 755 app:app
    USER app
    COPY files/notes.txt /home/app/
    USER root
    RUN chown -h app:app /home/app/notes.txt
    USER app
    RUN export GREETING='hello from imgb' VERSION=1.2.3; /bin/sh -c "$(printf '%s\n' 'sh <<'\''EOF'\''' \
        'echo "shell $0 for $(id -un)" > /home/app/who' \
        'EOF')"
    RUN export GREETING='hello from imgb' VERSION=1.2.3; test "$(stat -c %U /home/app/notes.txt)" = app && grep -qx "shell sh for app" /home/app/who
    RUN export GREETING='hello from imgb' VERSION=1.2.3; test "$(stat -c %U /srv/app/app.conf)" = app && \
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
