template "web" {
  base_image = "busybox"
  build      = <<-EOT
    RUN apt-get upgrade -y
    RESTART now
    ENV
    CMD ["httpd", -f]
  EOT
}
