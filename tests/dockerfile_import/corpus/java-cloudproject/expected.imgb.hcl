# Imported from Dockerfile by imgb import-dockerfile.

component "java-cloudproject" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    COPY target/-extra.jar app.jar
    COPY target/.jar app.jar
    ENTRYPOINT ["java", "-jar", "/app.jar"]
  EOT
}

template "java-cloudproject" {
  description = "Imported from Dockerfile"
  base_image  = "eclipse-temurin:17-jre"
  build       = <<-EOT
    COMPONENT ${component.java-cloudproject.id}
  EOT
}
