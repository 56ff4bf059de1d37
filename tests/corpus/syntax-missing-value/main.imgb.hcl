component "a" {
  description =
  content     = "RUN true"
}
