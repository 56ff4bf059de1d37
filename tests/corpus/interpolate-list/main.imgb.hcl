locals {
  regions = ["cn-shanghai", "cn-beijing"]
}

component "a" {
  content = "RUN echo ${local.regions} ${local.regions[5]}"
}
