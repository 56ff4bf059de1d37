# GitOps with imgb: this directory is a repository whose pull requests are planned and whose
# merges are applied by CI (.github/workflows/imgb.yml or .gitlab-ci.yml, as imgb init writes them).
#
# The state lives in PostgreSQL, because CI runners forget their disks: the connection string
# comes from the IMGB_PG_CONN_STR secret and is never written to the state or a plan. The local
# provider keeps its images under IMGB_HOME (a persistent disk on a self-hosted runner); with
# the alicloud provider the images live in Alibaba Cloud instead.

imgb {
  backend "pg" {
    schema_name = "imgb"
  }
}

provider "local" {
  region = "local-1"
}

variable "release" {
  type        = string
  default     = "2024.06"
  description = "Release stamped into the image"
}

component "baseline" {
  description = "Baseline: message of the day and an operator account"
  content     = <<-EOT
    RUN echo "ops:x:1001:1001:ops:/home/ops:/bin/sh" >> /etc/passwd && \
        echo "ops:x:1001:" >> /etc/group && \
        mkdir -p /home/ops && chown ops:ops /home/ops
    COPY files/motd /etc/motd
  EOT
}

template "app" {
  description = "Application base image"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.baseline.id}
    ENV RELEASE="${var.release}"
    RUN echo "${var.release}" > /etc/release
  EOT
  test        = <<-EOT
    RUN grep -q "${var.release}" /etc/release && grep -q imgb /etc/motd
  EOT

  image_name   = "app-${replace(var.release, ".", "-")}"
  image_family = "app"
  distribute   = [distribution.staging]
  retain       = 2
}

distribution "staging" {
  regions  = ["local-2"]
  accounts = ["100000000001"]
}

output "app_image_ids" {
  value = template.app.image_ids
}
