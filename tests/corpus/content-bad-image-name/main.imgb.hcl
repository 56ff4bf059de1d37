template "web" {
  base_image = "busybox"
  build      = <<-EOT
    RUN true
  EOT

  image_name   = "1st image"
  image_family = "acs:web"
}
