component "a" {
  type        = "build"
  system_type = "linux"
  content     = "RUN true"
}
