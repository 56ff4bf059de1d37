# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-env-precedence" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV w="x"
    ENV y="z"
    RUN echo w=$w y=$y I=$I K=$K
    ENV I="I" K="K"
    RUN echo w=$w y=$y I=$I K=$K
  EOT
}

template "buildah-env-precedence" {
  description = "Imported from Dockerfile"
  base_image  = "0"
  build       = <<-EOT
    COMPONENT ${component.buildah-env-precedence.id}
  EOT
}
