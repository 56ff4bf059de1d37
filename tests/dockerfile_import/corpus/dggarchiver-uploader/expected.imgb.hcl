# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 10: COPY --from=builder /app/dggarchiver-uploader .

component "dggarchiver-uploader" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    ENTRYPOINT ["./dggarchiver-uploader"]
  EOT
}

template "dggarchiver-uploader" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.17"
  build       = <<-EOT
    COMPONENT ${component.dggarchiver-uploader.id}
  EOT
}
