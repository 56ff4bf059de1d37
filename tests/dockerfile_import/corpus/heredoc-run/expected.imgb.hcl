# Imported from Dockerfile by imgb import-dockerfile.

component "heredoc-run" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV APP_HOME="/srv/app"
    RUN export RELEASE=2024.1; /bin/sh -c "$(printf '%s\n' 'apt-get update' \
        'apt-get install -y --no-install-recommends python3' \
        'rm -rf /var/lib/apt/lists/*')"
    RUN export RELEASE=2024.1; /bin/sh -c "$(printf '%s\n' 'set -e' \
        'if [ ! -d /srv/app ]; then' \
        '  mkdir -p /srv/app' \
        'fi' \
        'for d in logs cache; do mkdir -p "/srv/app/$d"; done')"
    RUN export RELEASE=2024.1; d=$(mktemp -d) && printf '%s\n' '#!/usr/bin/env python3' \
        'import json' \
        'print(json.dumps({"release": "ok"}))' > "$d"/EOT && chmod 755 "$d"/EOT && /bin/sh -c "$d"/EOT; s=$?; rm -rf "$d"; exit $s
    RUN export RELEASE=2024.1; /bin/sh -c "$(printf '%s\n' 'python3 <<'\''PY'\''' \
        'import os' \
        'print(os.environ.get("APP_HOME", "$HOME"))' \
        'PY')"
    RUN export RELEASE=2024.1; /bin/sh -c "$(printf '%s\n' 'cat <<EOF > /etc/app.conf' \
        'release = $${RELEASE}' \
        'home = $APP_HOME' \
        'EOF')"
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /etc 755 0:0
    RUN [ -d /etc/motd ] && t=/etc/motd/EOF || t=/etc/motd; printf '%s\n' 'Welcome to the /srv/app server.' > "$t" && chmod 644 "$t"
    CMD ["python3", "-m", "http.server"]
  EOT
}

template "heredoc-run" {
  description = "Imported from Dockerfile"
  base_image  = "debian:bookworm-slim"
  build       = <<-EOT
    COMPONENT ${component.heredoc-run.id}
  EOT
}
