# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 1: FROM maven:3.9-eclipse-temurin-21 AS build
#   line 15: VOLUME /tmp
#   line 17: EXPOSE 8080

component "java" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV JAVA_OPTS="-Xms256m -Xmx512m" APP_HOME="/opt/app"
    RUN groupadd --system spring && useradd --system --gid spring spring
    WORKDIR /opt/app
    COPY target/app.jar app.jar
    USER spring:spring
    ENTRYPOINT exec java $JAVA_OPTS -jar /opt/app/app.jar
  EOT
}

template "java" {
  description = "Imported from Dockerfile"
  base_image  = "eclipse-temurin:21-jre-jammy"
  build       = <<-EOT
    COMPONENT ${component.java.id}
  EOT
}
