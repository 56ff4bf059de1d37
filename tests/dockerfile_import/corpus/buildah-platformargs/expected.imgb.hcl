# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-platformargs" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV BUILDPLATFORM="linux/amd64"
    ENV BUILDOS="linux"
    ENV BUILDARCH="amd64"
    ENV BUILDVARIANT=""
    ENV TARGETPLATFORM="linux/amd64"
    ENV TARGETOS="linux"
    ENV TARGETARCH="amd64"
    ENV TARGETVARIANT=""
    CMD ["echo", "BUILDPLATFORM=$BUILDPLATFORM  BUILDOS=$BUILDOS  BUILDARCH=$BUILDARCH  BUILDVARIANT=$BUILDVARIANT TARGETPLATFORM=$TARGETPLATFORM  TARGETOS=$TARGETOS  TARGETARCH=$TARGETARCH  TARGETVARIANT=$TARGETVARIANT"]
  EOT
}

template "buildah-platformargs" {
  description = "Imported from Dockerfile"
  base_image  = "scratch"
  build       = <<-EOT
    COMPONENT ${component.buildah-platformargs.id}
  EOT
}
