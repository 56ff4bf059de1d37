# Imported from Dockerfile by imgb import-dockerfile.

component "scratch-static" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY hello /hello
    COPY etc/passwd /etc/passwd
    USER nobody
    ENTRYPOINT ["/hello"]
  EOT
}

template "scratch-static" {
  description = "Imported from Dockerfile"
  base_image  = "scratch"
  build       = <<-EOT
    COMPONENT ${component.scratch-static.id}
  EOT
}
