# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 3: SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]

component "windows-servercore" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV APP_DIR="C:\\app"
    RUN New-Item -ItemType Directory -Path $env:APP_DIR ; \
        Write-Host 'created'
    COPY app/ C:/app/
    WORKDIR C:\app
    CMD ["C:\\app\\server.exe"]
  EOT
}

template "windows-servercore" {
  description = "Imported from Dockerfile"
  base_image  = "mcr.microsoft.com/windows/servercore:ltsc2022"
  build       = <<-EOT
    COMPONENT ${component.windows-servercore.id}
  EOT
}
