template "web" {
  base_image        = "busybox"
  base_image_family = "acs:ubuntu_22_04_x64"
}
