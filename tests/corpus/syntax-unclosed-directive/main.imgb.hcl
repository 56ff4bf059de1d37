variable "debug" {
  default = true
}

component "a" {
  content = <<-EOT
    %{ if var.debug }
    RUN set -x
    RUN true
  EOT
}
