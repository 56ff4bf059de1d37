# Imported from Dockerfile by imgb import-dockerfile.

component "heredoc-run" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV APP_HOME="/srv/app"
    RUN apt-get update; \
        apt-get install -y --no-install-recommends python3; \
        rm -rf /var/lib/apt/lists/*
    RUN sh -c "$(printf '%s\n' 'set -e' \
        'if [ ! -d /srv/app ]; then' \
        '  mkdir -p /srv/app' \
        'fi' \
        'for d in logs cache; do mkdir -p "/srv/app/$d"; done')"
    RUN printf '%s\n' '#!/usr/bin/env python3' \
        'import json' \
        'print(json.dumps({"release": "ok"}))' > /tmp/imgb-heredoc-20 && chmod +x /tmp/imgb-heredoc-20 && /tmp/imgb-heredoc-20 && rm -f /tmp/imgb-heredoc-20
    RUN printf '%s\n' 'import os' \
        'print(os.environ.get("APP_HOME", "$HOME"))' | python3
    RUN printf '%s\n' "release = 2024.1" \
        "home = $APP_HOME" > /etc/app.conf
    RUN mkdir -p /etc && printf '%s\n' 'Welcome to the /srv/app server.' > /etc/motd
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
