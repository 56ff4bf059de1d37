component "smoke" {
  type    = "Test"
  content = "RUN curl -fsS http://127.0.0.1/"
}

component "nginx" {
  content = "RUN apt-get install -y nginx"
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COMPONENT ${component.smoke.id}
  EOT
  test       = <<-EOT
    COMPONENT ${component.nginx.id}
  EOT
}
