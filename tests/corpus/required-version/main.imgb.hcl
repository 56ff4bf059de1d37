imgb {
  required_version = ">= 9.0.0"
}

component "a" {
  content = "RUN true"
}
