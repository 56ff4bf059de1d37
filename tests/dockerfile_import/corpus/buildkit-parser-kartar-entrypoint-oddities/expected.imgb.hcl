# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 6: EXPOSE 6379

component "buildkit-parser-kartar-entrypoint-oddities" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    LABEL maintainer="James Turnbull james@example.com"
    ENV REFRESHED_AT="2014-06-01"
    RUN apt-get update
    RUN apt-get -y install redis-server redis-tools
    ENTRYPOINT ["/usr/bin/redis-server"]
  EOT
}

template "buildkit-parser-kartar-entrypoint-oddities" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-kartar-entrypoint-oddities.id}
  EOT
}
