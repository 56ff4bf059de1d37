# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-mumble" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apt-get update && apt-get install libcap2-bin mumble-server -y
    COPY mumble-server.ini /etc/mumble-server.ini
    CMD /usr/sbin/murmurd
  EOT
}

template "buildkit-parser-mumble" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-mumble.id}
  EOT
}
