component "a" {
  content = "RUN true"

template "web" {
  base_image = "busybox"
}
