# Imported from Dockerfile by imgb import-dockerfile.

component "java-hallo-azure" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    RUN mkdir /app
    COPY app.jar /app/app.jar
    WORKDIR /app
    ENTRYPOINT ["java", "-jar", "app.jar"]
  EOT
}

template "java-hallo-azure" {
  description = "Imported from Dockerfile"
  base_image  = "eclipse-temurin:21"
  build       = <<-EOT
    COMPONENT ${component.java-hallo-azure.id}
  EOT
}
