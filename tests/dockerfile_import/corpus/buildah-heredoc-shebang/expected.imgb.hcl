# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-heredoc-shebang" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN d=$(mktemp -d) && printf '%s\n' '#!/usr/bin/env python' \
        'print('\''this is the output of test11'\'')' \
        'print('\''this is the output of test12'\'')' > "$d"/EOF && chmod 755 "$d"/EOF && /bin/sh -c "$d"/EOF; s=$?; rm -rf "$d"; exit $s
  EOT
}

template "buildah-heredoc-shebang" {
  description = "Imported from Dockerfile"
  base_image  = "python:3.11-slim-bullseye"
  build       = <<-EOT
    COMPONENT ${component.buildah-heredoc-shebang.id}
  EOT
}
