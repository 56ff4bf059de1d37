# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 94: VOLUME /var/lib/docker

component "buildkit-parser-docker" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="Tianon Gravi <admwiggin@gmail.com> (@tianon)"
    RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -yq \
        apt-utils \
        aufs-tools \
        automake \
        btrfs-tools \
        build-essential \
        curl \
        dpkg-sig \
        git \
        iptables \
        libapparmor-dev \
        libcap-dev \
        mercurial \
        pandoc \
        parallel \
        reprepro \
        ruby1.9.1 \
        ruby1.9.1-dev \
        s3cmd=1.1.0* \
        --no-install-recommends
    RUN git clone --no-checkout https://git.fedorahosted.org/git/lvm2.git /usr/local/lvm2 && cd /usr/local/lvm2 && git checkout -q v2_02_103
    RUN cd /usr/local/lvm2 && ./configure --enable-static_link && make device-mapper && make install_device-mapper
    RUN curl -sSL https://golang.org/dl/go1.3.src.tar.gz | tar -v -C /usr/local -xz
    ENV PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    ENV GOPATH="/go:/go/src/github.com/docker/docker/vendor"
    RUN cd /usr/local/go/src && ./make.bash --no-clean 2>&1
    ENV DOCKER_CROSSPLATFORMS="linux/386 linux/arm 	darwin/amd64 darwin/386 	freebsd/amd64 freebsd/386 freebsd/arm"
    ENV GOARM="5"
    RUN cd /usr/local/go/src && bash -xc 'for platform in $DOCKER_CROSSPLATFORMS; do GOOS=$${platform%/*} GOARCH=$${platform##*/} ./make.bash --no-clean 2>&1; done'
    RUN go get golang.org/x/tools/cmd/cover
    RUN gem install --no-rdoc --no-ri fpm --version 1.0.2
    RUN git clone -b buildroot-2014.02 https://github.com/jpetazzo/docker-busybox.git /docker-busybox
    RUN /bin/echo -e '[default]\naccess_key=$AWS_ACCESS_KEY\nsecret_key=$AWS_SECRET_KEY' > /.s3cfg
    RUN git config --global user.email 'docker-dummy@example.com'
    RUN groupadd -r docker
    RUN useradd --create-home --gid docker unprivilegeduser
    WORKDIR /go/src/github.com/docker/docker
    ENV DOCKER_BUILDTAGS="apparmor selinux"
    ENTRYPOINT ["hack/dind"]
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /go 755 0:0; m /go/src 755 0:0; m /go/src/github.com 755 0:0; m /go/src/github.com/docker 755 0:0; m /go/src/github.com/docker/docker 755 0:0; m /go/src/github.com/docker/docker/private 700 0:0
    COPY ./ /go/src/github.com/docker/docker/
  EOT
}

template "buildkit-parser-docker" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-docker.id}
  EOT
}
