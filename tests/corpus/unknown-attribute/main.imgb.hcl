component "a" {
  descripton = "typo"
  content    = "RUN true"
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    RUN echo hi
  EOT
}
