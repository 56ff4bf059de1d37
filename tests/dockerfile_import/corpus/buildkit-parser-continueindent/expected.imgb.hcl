# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-continueindent" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN echo hello \
        world \
        goodnight \
        moon \
        lightning
    RUN echo hello \
        world
    RUN echo hello \
        world
    RUN echo hello \
        goodbyefrog
    RUN echo hello \
        world
    RUN echo hi \
        world \
        goodnight
    RUN echo goodbyefrog
    RUN echo goodbyefrog
    RUN echo hello \
        this is some more useful stuff
  EOT
}

template "buildkit-parser-continueindent" {
  description = "Imported from Dockerfile"
  base_image  = "ubuntu:14.04"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-continueindent.id}
  EOT
}
