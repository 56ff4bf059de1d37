# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 18: COPY --from=builder /target/release/learn_async_rust /usr/local/bin/learn_async_rust
#   line 20: EXPOSE 8080

component "rust-numbers-task" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENTRYPOINT ["/usr/local/bin/learn_async_rust"]
  EOT
}

template "rust-numbers-task" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:22.04"
  build       = <<-EOT
    COMPONENT ${component.rust-numbers-task.id}
  EOT
}
