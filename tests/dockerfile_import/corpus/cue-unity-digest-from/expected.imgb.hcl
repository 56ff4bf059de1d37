# Imported from Dockerfile by imgb import-dockerfile.

component "cue-unity-digest-from" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY entrypoint.sh /usr/bin/entrypoint.sh
    RUN chown root:root /usr/bin/entrypoint.sh
    RUN chmod 755 /usr/bin/entrypoint.sh
    RUN chown root:root /usr/bin/entrypoint.sh
    ENTRYPOINT ["/usr/bin/entrypoint.sh"]
  EOT
}

template "cue-unity-digest-from" {
  description = "Imported from Dockerfile"
  base_image  = "debian@sha256:13f0764262a064b2dd9f8a828bbaab29bdb1a1a0ac6adc8610a0a5f37e514955"
  build       = <<-EOT
    COMPONENT ${component.cue-unity-digest-from.id}
  EOT
}
