distribution "prod" {
  regions = ["cn-shanghai"]
}

template "web" {
  base_image = "busybox"
  distribute = [distribution.prd]
}
