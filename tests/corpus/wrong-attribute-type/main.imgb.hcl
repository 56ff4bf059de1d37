template "web" {
  base_image       = "busybox"
  system_disk_size = "big"
  retain           = 2.5
  delete_instance_on_failure = "sometimes"
}
