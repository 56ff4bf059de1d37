# An imgb configuration: a small golden image, built by the embedded local provider from the
# built-in busybox base image, then copied to a second local region.
#
#   imgb plan                  what would change
#   imgb apply --auto-approve  build, copy and record it in imgb.state.json
#   imgb images                what the local store holds
#
# The CI workflows (.github/workflows/imgb.yml, .gitlab-ci.yml) need a state that outlives the
# runner: before enabling them, replace the local backend with the PostgreSQL one below.

imgb {
  backend "local" {
    path = "imgb.state.json"
  }
  # backend "pg" {
  #   schema_name = "imgb" # the connection string comes from IMGB_PG_CONN_STR
  # }
}

provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}

component "motd" {
  description = "Message of the day"
  content     = <<-EOT
    RUN echo "Built by imgb" > /etc/motd
    LABEL role="base"
  EOT
}

template "base" {
  description = "Base image"
  base_image  = "busybox"
  build       = <<-EOT
    COMPONENT ${component.motd.id}
    ENV IMAGE_ROLE="base"
  EOT
  test        = <<-EOT
    RUN grep -q imgb /etc/motd
  EOT

  image_family = "base"
  distribute   = [distribution.staging]
  retain       = 2
}

distribution "staging" {
  regions = ["local-2"]
}

output "base_image_ids" {
  value = template.base.image_ids
}
