template "web" {
  base_image = "busybox"
  build      = <<-EOT
    RUNN echo hello
    WORKDIR /srv
    EXPOSE 80
  EOT
}
