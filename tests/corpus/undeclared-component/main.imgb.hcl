component "nginx" {
  content = "RUN true"
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COMPONENT ${component.ngnix.id}
  EOT
}
