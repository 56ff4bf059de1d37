# Imported from Dockerfile by imgb import-dockerfile.

component "ad-insertion-unset-uid" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN DEBIAN_FRONTEND=noninteractive apt-get update && apt-get install -y -q ffmpeg
    RUN groupadd -f -g $${GID} $${GROUP};useradd -d /home -g $${GROUP} -K UID_MAX=$${UID} -K UID_MIN=$${UID} $${USER};chown -R $${USER}.$${GROUP} /home
    USER $${USER}
  EOT
}

template "ad-insertion-unset-uid" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:18.04"
  build       = <<-EOT
    COMPONENT ${component.ad-insertion-unset-uid.id}
  EOT
}
