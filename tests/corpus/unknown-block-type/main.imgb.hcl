componnet "a" {
  content = "RUN true"
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    RUN echo hi
  EOT
}
