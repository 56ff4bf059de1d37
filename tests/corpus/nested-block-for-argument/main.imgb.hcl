template "web" {
  base_image = "busybox"
  build {
    run = "echo hi"
  }
}
