component "setup" {
  content = <<-EOT
    RUN mkdir -p /opt/app
    ADD files/app.tar.gz /opt/app/
  EOT
}
