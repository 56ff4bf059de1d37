variable "app_version" {
  type    = string
  default = "1.0.0"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.app_version))
    error_message = "app_version must look like 1.2.3."
  }
}
