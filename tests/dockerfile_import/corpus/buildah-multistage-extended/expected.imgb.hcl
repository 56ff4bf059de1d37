# Imported from Dockerfile by imgb import-dockerfile.

component "buildah-multistage-extended" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV BUILD_LOGLEVEL="5"
    RUN touch /tmp/preCommit
    ENTRYPOINT /bin/sleep 600
    ENV OPENSHIFT_BUILD_NAME="mydockertest-1" OPENSHIFT_BUILD_NAMESPACE="default"
    LABEL io.openshift.build.name="mydockertest-1" io.openshift.build.namespace="default"
    ENV BUILD_LOGLEVEL="5"
  EOT
}

template "buildah-multistage-extended" {
  description = "Imported from Dockerfile"
  base_image  = "busybox:latest"
  build       = <<-EOT
    COMPONENT ${component.buildah-multistage-extended.id}
  EOT
}
