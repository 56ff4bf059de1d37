template "web" {
  build = "RUN true"
}
