#@ if local
# An imgb configuration: a small golden image, built by the embedded local provider from the
# built-in busybox base image, then copied to a second local region.
#@ end
#@ if alicloud
# An imgb configuration: a small golden image, built by Alibaba Cloud's Image Builder from the
# newest Ubuntu 22.04 public image, then copied to a second region. Credentials come from the
# environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET) or a CLI profile.
#@ end
#
#   imgb plan                  what would change
#   imgb apply --auto-approve  build, copy and record it in the state
#@ if local
#   imgb images                what the local store holds
#@ end
#
#@ if backend-local
# The CI workflows (.github/workflows/imgb.yml, .gitlab-ci.yml) need a state that outlives the
# runner: before enabling them, replace the local backend with the PostgreSQL one below.
#@ end
#@ if backend-pg
# The state lives in PostgreSQL, so CI runners and workstations share it: the connection string
# comes from IMGB_PG_CONN_STR and is never written to the state or a plan.
#@ end

imgb {
#@ if backend-local
  backend "local" {
    path = "imgb.state.json"
  }
  # backend "pg" {
  #   schema_name = "imgb" # the connection string comes from IMGB_PG_CONN_STR
  # }
#@ end
#@ if backend-pg
  backend "pg" {
    schema_name = "imgb"
  }
#@ end
}

#@ if local
# The store is $IMGB_HOME (else ~/.local/share/imgb, or /var/lib/imgb as root).
provider "local" {
  region = "local-1"
}
#@ end
#@ if alicloud
provider "alicloud" {
  region = "cn-hangzhou"
}
#@ end

component "motd" {
  description = "Message of the day"
  content     = <<-EOT
    RUN echo "Built by imgb" > /etc/motd
    LABEL role="base"
  EOT
}

template "base" {
  description = "Base image"
#@ if local
  base_image = "busybox"
#@ end
#@ if alicloud
  base_image_family = "acs:ubuntu_22_04_x64"
  instance_type     = "ecs.g7.large"
#@ end
  build = <<-EOT
    COMPONENT ${component.motd.id}
    ENV IMAGE_ROLE="base"
  EOT
  test  = <<-EOT
    RUN grep -q imgb /etc/motd
  EOT

  image_family = "base"
  distribute   = [distribution.staging]
  retain       = 2
}

distribution "staging" {
#@ if local
  regions = ["local-2"]
#@ end
#@ if alicloud
  regions = ["cn-shanghai"]
#@ end
}

output "base_image_ids" {
  value = template.base.image_ids
}
