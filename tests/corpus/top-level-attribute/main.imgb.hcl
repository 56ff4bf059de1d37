region = "cn-hangzhou"

component {
  content = "RUN true"
}

component "bad name" {
  content = "RUN true"
}
