variable "region" {
  default = "cn-shanghai"
}

locals {
  x = 1
}

locals {
  x = 2
}
