variable "app_version" {
  type = string
}

variable "disk" {
  type    = number
  default = 40
}
