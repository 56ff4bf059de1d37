# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 13: COPY --from=0 /app/main /app/main
#   line 14: EXPOSE 8080 8084

component "deadsfu" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apk --no-cache add ca-certificates
    ENTRYPOINT ["/app/main"]
  EOT
}

template "deadsfu" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.14.0"
  build       = <<-EOT
    COMPONENT ${component.deadsfu.id}
  EOT
}
