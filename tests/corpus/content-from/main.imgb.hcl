template "web" {
  base_image = "busybox"
  build      = <<-EOT
    FROM ubuntu:22.04
    RUN apt-get update
  EOT
}
