# Imported from Dockerfile by imgb import-dockerfile.

component "windows-servercore" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV APP_DIR="C:\\app"
    RUN powershell -Command '$ErrorActionPreference = '\''Stop'\'';' 'New-Item -ItemType Directory -Path $env:APP_DIR ;     Write-Host '\''created'\'''
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m C: 755 0:0; m C:/app 755 0:0; m C:/app/private 700 0:0
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
