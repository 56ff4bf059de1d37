template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COPY https://example.com/app.tgz /opt/
  EOT

  internet_max_bandwidth_out = 101
}
