# Imported from Dockerfile by imgb import-dockerfile.

component "hello-world-scratch" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /private 700 0:0
    COPY hello/ /
    CMD ["/hi"]
  EOT
}

template "hello-world-scratch" {
  description = "Imported from Dockerfile"
  base_image  = "scratch"
  build       = <<-EOT
    COMPONENT ${component.hello-world-scratch.id}
  EOT
}
