# Imported from Dockerfile by imgb import-dockerfile.
# Not carried over (the import's warnings explain each):
#   line 15: VOLUME /tmp
#   line 17: EXPOSE 8080

component "java" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV JAVA_OPTS="-Xms256m -Xmx512m" APP_HOME="/opt/app"
    RUN export JAR_FILE=target/app.jar; groupadd --system spring && useradd --system --gid spring spring
    WORKDIR /opt/app
    COPY target/app.jar /opt/app/app.jar
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
