# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-copy-chown-user" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV MYUSER="myuser"
    RUN useradd --create-home --home /"$${MYUSER}" "$${MYUSER}"
    COPY copychown.txt /somewhere
    RUN chown -h myuser: $(d=/somewhere; [ -d "$d" ] && echo "$d"/copychown.txt || echo "$d")
    RUN ls -alF /somewhere
  EOT
}

template "buildah-copy-chown-user" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:latest"
  build       = <<-EOT
    COMPONENT ${component.buildah-copy-chown-user.id}
  EOT
}
