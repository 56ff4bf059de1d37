variable "app_version" {
  default = "1.0.0"
}

template "web" {
  base_image = "busybox"
  image_name = "web-${var.app_versoin}"
}
