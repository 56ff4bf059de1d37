# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 8: VOLUME /opt/influxdb/shared
#   line 12: EXPOSE 8083
#   line 13: EXPOSE 8086
#   line 14: EXPOSE 8090
#   line 15: EXPOSE 8099

component "buildkit-parser-influxdb" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN apt-get update && apt-get install wget -y
    RUN wget http://s3.amazonaws.com/influxdb/influxdb_latest_amd64.deb
    RUN dpkg -i influxdb_latest_amd64.deb
    RUN rm -r /opt/influxdb/shared
    CMD /usr/bin/influxdb --pidfile /var/run/influxdb.pid -config /opt/influxdb/shared/config.toml
  EOT
}

template "buildkit-parser-influxdb" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-influxdb.id}
  EOT
}
