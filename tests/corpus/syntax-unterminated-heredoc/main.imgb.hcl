component "a" {
  content = <<-EOT
    RUN true
  EOF
}
