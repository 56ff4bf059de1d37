provider "alicloud" {
  region = "cn-hangzhou"
}

component "a" {
  provider = alicloud.intl
  content  = "RUN true"
}

provider "aws" {
  region = "us-east-1"
}
