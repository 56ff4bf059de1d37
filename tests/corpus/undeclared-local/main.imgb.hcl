locals {
  tags = { team = "web" }
}

component "a" {
  content = "RUN true"
  tags    = local.tag
}
