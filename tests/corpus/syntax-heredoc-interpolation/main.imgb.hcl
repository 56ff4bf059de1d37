variable "v" {
  default = "1"
}

component "a" {
  content = <<-EOT
    RUN echo ${var.v +}
  EOT
}
