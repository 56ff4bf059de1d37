template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COPY ../secrets.env /etc/app/
  EOT
}
