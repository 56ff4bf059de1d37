# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-heredoc-bash-file" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN d=$(mktemp -d) && printf '%s\n' '#!/bin/sh' \
        'echo "' \
        '	this is the output of test9" > test9.txt' > "$d"/EOF && chmod 755 "$d"/EOF && /bin/sh -c "$d"/EOF; s=$?; rm -rf "$d"; exit $s
    RUN d=$(mktemp -d) && printf '%s\n' '#!/bin/sh' \
        'echo "' \
        'this is the output of test10" > test10.txt' > "$d"/EOF && chmod 755 "$d"/EOF && /bin/sh -c "$d"/EOF; s=$?; rm -rf "$d"; exit $s
    RUN cat test9.txt
    RUN cat test10.txt
  EOT
}

template "buildah-heredoc-bash-file" {
  description = "Imported from Dockerfile"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.buildah-heredoc-bash-file.id}
  EOT
}
