component "base" {
  content = "RUN true"
}

component "web" {
  content = <<-EOT
    COMPONENT ${component.base.id}
    RUN echo web
  EOT
}
