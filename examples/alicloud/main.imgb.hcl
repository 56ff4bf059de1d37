# A realistic Alibaba Cloud setup: hardened base, agents from a parameterised YAML component,
# one template per OS, distributed to production and partner accounts.

imgb {
  required_version = ">= 0.1.0"
  backend "local" {
    path = "imgb.state.json"
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "app_version" {
  type        = string
  default     = "1.4.2"
  description = "Application version baked into the image"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.app_version))
    error_message = "app_version must look like 1.2.3."
  }
}

variable "prod_accounts" {
  type    = list(string)
  default = ["1234567890123456", "2234567890123456"]
}

variable "monitoring_token" {
  type      = string
  default   = "replace-me"
  sensitive = true
}

locals {
  tags = { team = "web", managed_by = "imgb" }
  bases = {
    ubuntu = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
    alinux = "aliyun_3_x64_20G_alibase_20240528.vhd"
  }
}

component "hardening" {
  version     = "1.2.0"
  description = "CIS-style hardening"
  content     = file("components/hardening.dockerfile")
  tags        = local.tags
}

component "agent" {
  version     = "2.0.1"
  description = "Install the monitoring agent"
  content     = file("components/agent.yaml")
  tags        = local.tags
}

component "smoke" {
  type        = "Test"
  description = "The web server answers"
  content     = <<-EOT
    RUN curl -fsS http://127.0.0.1/ | grep -q nginx
  EOT
}

template "web" {
  for_each = local.bases

  description      = "Web tier on ${each.key}"
  base_image       = each.value
  instance_type    = "ecs.g7.large"
  system_disk_size = 40
  build            = <<-EOT
    COMPONENT ${component.hardening.id}
    COMPONENT ${component.agent.id} --endpoint https://metrics.example.com --interval 30
    ENV APP_VERSION="${var.app_version}"
    RUN systemctl enable nginx
  EOT
  test             = <<-EOT
    COMPONENT ${component.smoke.id}
  EOT

  image_name   = "web-${each.key}-${replace(var.app_version, ".", "-")}"
  image_family = "web-${each.key}"
  distribute   = [distribution.prod, distribution.partners]
  retain       = 3
  tags         = merge(local.tags, { os = each.key })
}

distribution "prod" {
  regions  = ["cn-shanghai", "ap-southeast-1"]
  accounts = var.prod_accounts
}

distribution "partners" {
  regions  = ["cn-shanghai"]
  accounts = ["6543210987654321"]
}

output "web_image_ids" {
  value = { for k, t in template.web : k => t.image_ids }
}
