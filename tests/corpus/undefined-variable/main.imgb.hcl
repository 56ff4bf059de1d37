variable "app_version" {
  type = string
}

template "web" {
  base_image = "busybox"
  image_name = "web-${var.app_version}"
}
