template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COPY files/hosts /etc/app/
  EOT
}
