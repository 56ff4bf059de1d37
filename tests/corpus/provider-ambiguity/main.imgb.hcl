provider "alicloud" {
  region = "cn-hangzhou"
}

provider "alicloud" {
  region = "ap-southeast-1"
  alias  = "intl"
}

component "a" {
  content = "RUN true"
}

template "web" {
  provider   = alicloud.intl
  base_image = "busybox"
}
