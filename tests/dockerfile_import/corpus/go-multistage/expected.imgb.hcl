# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 13: COPY --from=builder /out/server /usr/local/bin/server
#   line 15: EXPOSE 8080

component "go-multistage" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apk add --no-cache ca-certificates && \
        addgroup -S app && adduser -S app -G app
    USER app:app
    ENTRYPOINT ["/usr/local/bin/server"]
  EOT
}

template "go-multistage" {
  description = "Imported from Dockerfile"
  base_image  = "alpine:3.19"
  build       = <<-EOT
    COMPONENT ${component.go-multistage.id}
  EOT
}
