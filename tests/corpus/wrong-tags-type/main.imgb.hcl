component "a" {
  content = "RUN true"
  tags    = ["web", "prod"]
}

distribution "d" {
  regions = "cn-shanghai"
}
