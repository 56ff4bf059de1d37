# Imported from Dockerfile by imgb import-dockerfile.

component "windows-pwsh-shell" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV NODE_VERSION="14.16.0"
    RUN pwsh -Command '$ErrorActionPreference = '\''Stop'\'';$ProgressPreference='\''silentlyContinue'\'';' 'Invoke-WebRequest -OutFile nodejs.zip -UseBasicParsing "https://nodejs.org/dist/v$($env:NODE_VERSION)/node-v$($env:NODE_VERSION)-win-x64.zip";'
    RUN pwsh -Command '$ErrorActionPreference = '\''Stop'\'';$ProgressPreference='\''silentlyContinue'\'';' 'Expand-Archive nodejs.zip -DestinationPath C:\;'
    RUN pwsh -Command '$ErrorActionPreference = '\''Stop'\'';$ProgressPreference='\''silentlyContinue'\'';' 'Rename-Item "C:\node-v$($env:NODE_VERSION)-win-x64" c:\nodejs'
  EOT
}

template "windows-pwsh-shell" {
  description = "Imported from Dockerfile"
  base_image  = "mcr.microsoft.com/powershell"
  build       = <<-EOT
    COMPONENT ${component.windows-pwsh-shell.id}
  EOT
}
