template "web" {
  base_image = "busybox"
  build      = <<-EOT
    RUN true
  EOT

  system_disk_size = 10
}
