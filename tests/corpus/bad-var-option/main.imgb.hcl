variable "app_version" {
  default = "1.0.0"
}

variable "disk" {
  type    = number
  default = 40
}
