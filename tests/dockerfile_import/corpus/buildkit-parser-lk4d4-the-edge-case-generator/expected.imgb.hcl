# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 5: ONBUILD RUN ["echo", "test"]
#   line 6: ONBUILD RUN echo test
#   line 7: ONBUILD COPY . /
#   line 35: EXPOSE 3000
#   line 36: EXPOSE 9000 5000 6000
#   line 41: VOLUME ["/test"]
#   line 42: VOLUME ["/test", "/test2"]
#   line 43: VOLUME /test3

component "buildkit-parser-lk4d4-the-edge-case-generator" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="docker <docker@docker.io>"
    RUN exec ls -la
    RUN exec echo ''\''1234'\'''
    RUN echo "1234"
    RUN echo 1234
    RUN echo '1234' && \
        echo "456" && \
        echo 789
    RUN sh -c 'echo root:testpass         > /tmp/passwd'
    RUN mkdir -p /test /test2 /test3/test
    ENV SCUBA="1 DUBA 3"
    ENV SCUBA="1 DUBA 3"
    CMD echo 'test' | wc -
    USER docker
    USER docker:root
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /test 755 docker:root
    USER docker:root
    WORKDIR /test
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /private 700 0:0
    USER docker:root
    COPY ./ /
    USER root
    RUN set -e; m() { [ -d "$1" ] || { mkdir "$1" && chmod "$2" "$1" && chown "$3" "$1"; }; }; m /test 755 0:0; m /test/copy 755 0:0; m /test/copy/private 700 0:0
    USER docker:root
    COPY ./ /test/copy/
  EOT
}

template "buildkit-parser-lk4d4-the-edge-case-generator" {
  description = "Imported from Dockerfile"
  base_image  = "busybox:buildroot-2014.02"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-lk4d4-the-edge-case-generator.id}
  EOT
}
