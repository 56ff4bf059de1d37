# The quickstart: a golden image built locally, copied to a second region and shared.
# Run `imgb apply` here; no cloud account is needed.

imgb {
  backend "local" {
    path = "imgb.state.json"
  }
}

provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}

variable "app_version" {
  type        = string
  default     = "1.0.0"
  description = "Application version baked into the image"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.app_version))
    error_message = "app_version must look like 1.2.3."
  }
}

locals {
  tags = { team = "platform", managed_by = "imgb" }
}

component "hardening" {
  description = "Baseline hardening"
  content     = file("components/hardening.dockerfile")
  tags        = local.tags
}

component "webserver" {
  description = "A tiny web server user and its config"
  content     = <<-EOT
    RUN echo "app:x:1000:1000:app:/home/app:/bin/sh" >> /etc/passwd && \
        echo "app:x:1000:" >> /etc/group && \
        mkdir -p /home/app /srv/www && chown app:app /home/app /srv/www
    COPY files/index.html /srv/www/
    LABEL role="web"
  EOT
  tags        = local.tags
}

template "web" {
  description = "Web tier image"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.hardening.id}
    COMPONENT ${component.webserver.id}
    ENV APP_VERSION="${var.app_version}"
    USER app
    WORKDIR /home/app
    RUN echo "version ${var.app_version}" > VERSION
    CMD ["httpd", "-f", "-h", "/srv/www"]
  EOT
  test        = <<-EOT
    RUN test -f /home/app/VERSION && grep -q "${var.app_version}" /home/app/VERSION
  EOT

  image_name   = "web-${replace(var.app_version, ".", "-")}"
  image_family = "web"
  distribute   = [distribution.everywhere]
  retain       = 3
  tags         = local.tags
}

distribution "everywhere" {
  regions  = ["local-2"]
  accounts = ["100000000001"]
}

output "web_image_ids" {
  value = template.web.image_ids
}
