# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-arg-mixed-defaults" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN export b=set; echo "$a" "$b" > /out.txt
  EOT
}

template "buildah-arg-mixed-defaults" {
  description = "Imported from Dockerfile"
  base_image  = "alpine"
  build       = <<-EOT
    COMPONENT ${component.buildah-arg-mixed-defaults.id}
  EOT
}
