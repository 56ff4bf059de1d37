# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-copy-globs" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY ./-extra.txt /testdir
    COPY .txt /testdir
  EOT
}

template "buildah-copy-globs" {
  description = "Imported from Dockerfile"
  base_image  = "scratch"
  build       = <<-EOT
    COMPONENT ${component.buildah-copy-globs.id}
  EOT
}
