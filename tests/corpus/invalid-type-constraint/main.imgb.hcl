variable "names" {
  type    = list(strin)
  default = []
}

variable "size" {
  type    = number
  default = "forty"
}
