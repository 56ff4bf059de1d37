# Imported from Dockerfile by imgb import-dockerfile.

component "windows-buildtools" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN cmd /S /C 'mkdir C:\TEMP'
    RUN cmd /S /C 'curl -k -L https://aka.ms/vs/15/release/vs_buildtools.exe --output C:\TEMP\vs_buildtools.exe --retry 3'
    RUN cmd /S /C 'mkdir C:\BuildTools'
    RUN cmd /S /C 'C:\TEMP\vs_buildtools.exe --quiet --wait --norestart --nocache --installPath C:\BuildTools --add Microsoft.VisualStudio.Workload.AzureBuildTools --remove Microsoft.VisualStudio.Component.Windows10SDK.10240 --remove Microsoft.VisualStudio.Component.Windows10SDK.10586 --remove Microsoft.VisualStudio.Component.Windows10SDK.14393 --remove Microsoft.VisualStudio.Component.Windows81SDK'
    ENV ROSLYN_COMPILER_LOCATION="C:\\BuildTools\\MSBuild\\15.0\\Bin\\Roslyn"
  EOT
}

template "windows-buildtools" {
  description = "Imported from Dockerfile"
  base_image  = "mcr.microsoft.com/dotnet/framework/sdk:4.8-windowsservercore-ltsc2019"
  build       = <<-EOT
    COMPONENT ${component.windows-buildtools.id}
  EOT
}
