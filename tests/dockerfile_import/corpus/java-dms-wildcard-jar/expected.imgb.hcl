# Imported from Dockerfile by imgb import-dockerfile.

component "java-dms-wildcard-jar" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    WORKDIR /app
    COPY target/-extra.jar /app/app.jar
    COPY target/.jar /app/app.jar
    ENTRYPOINT ["java", "-jar", "/app/app.jar"]
  EOT
}

template "java-dms-wildcard-jar" {
  description = "Imported from Dockerfile"
  base_image  = "eclipse-temurin:21-jre"
  build       = <<-EOT
    COMPONENT ${component.java-dms-wildcard-jar.id}
  EOT
}
