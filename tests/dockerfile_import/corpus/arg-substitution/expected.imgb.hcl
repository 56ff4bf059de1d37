# Imported from Dockerfile by imgb import-dockerfile.

component "arg-substitution" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL version="2.3.1" base="ubuntu:22.04" build="$${BUILD_NUMBER:-dev}"
    ENV APP_VERSION="2.3.1" INSTALL_DIR="/opt/app-2.3.1"
    WORKDIR /opt/app-2.3.1
    RUN export BASE_TAG=22.04 GREETING='hello world' TARGETARCH=amd64; curl -fsSLo app.tgz "https://downloads.example.com/app/$${APP_VERSION}/app-linux-$${TARGETARCH}.tgz" && \
        tar -xzf app.tgz && rm app.tgz
    RUN export BASE_TAG=22.04 GREETING='hello world' TARGETARCH=amd64; echo "$GREETING from build $${BUILD_NUMBER:-dev}" > /etc/greeting && echo '$APP_VERSION stays literal'
    CMD ["/opt/app/bin/app"]
  EOT
}

template "arg-substitution" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:22.04"
  build       = <<-EOT
    COMPONENT ${component.arg-substitution.id}
  EOT
}
