# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-arg-multiple-one-step" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN export foo=0 bar=1; echo $foo $bar > /out.txt
  EOT
}

template "buildah-arg-multiple-one-step" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-arg-multiple-one-step.id}
  EOT
}
