template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COPY https://example.com/app.tgz?token=abc /opt/
  EOT

  internet_max_bandwidth_out = 10
}
