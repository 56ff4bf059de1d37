template "web" {
  base_image = "busybox"
  distribute = ["prod"]
}
