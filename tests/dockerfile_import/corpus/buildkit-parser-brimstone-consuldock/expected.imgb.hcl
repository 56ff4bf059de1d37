# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-brimstone-consuldock" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="brimstone@the.narro.ws"
    ENV GOPATH="/go"
    ENTRYPOINT ["/usr/local/bin/consuldock"]
    RUN apt-get update \
        && dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean \
        && apt-get install -y --no-install-recommends git golang ca-certificates \
        && apt-get clean \
        && rm -rf /var/lib/apt/lists \
        && go get -v github.com/brimstone/consuldock \
        && mv $GOPATH/bin/consuldock /usr/local/bin/consuldock \
        && dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \
        && apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \
        && rm /tmp/dpkg.* \
        && rm -rf $GOPATH
  EOT
}

template "buildkit-parser-brimstone-consuldock" {
  description = "Imported from Dockerfile"
  base_image  = "brimstone/ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-brimstone-consuldock.id}
  EOT
}
