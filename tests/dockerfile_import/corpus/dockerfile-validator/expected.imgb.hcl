# Imported from Dockerfile by imgb import-dockerfile.

component "dockerfile-validator" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /private 700 0:0
    COPY LICENSE/ README.md /
    COPY hadolint/ /
    COPY entrypoint.sh /entrypoint.sh
    ENTRYPOINT ["/entrypoint.sh"]
  EOT
}

template "dockerfile-validator" {
  description = "Imported from Dockerfile"
  base_image  = "redcoolbeans/dockerlint:latest"
  build       = <<-EOT
    COMPONENT ${component.dockerfile-validator.id}
  EOT
}
