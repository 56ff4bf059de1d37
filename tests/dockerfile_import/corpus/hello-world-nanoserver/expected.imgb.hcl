# Imported from Dockerfile by imgb import-dockerfile.

component "hello-world-nanoserver" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY hello.txt C:
    CMD ["cmd", "/C", "type C:\\hello.txt"]
  EOT
}

template "hello-world-nanoserver" {
  description = "Imported from Dockerfile"
  base_image  = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
  build       = <<-EOT
    COMPONENT ${component.hello-world-nanoserver.id}
  EOT
}
