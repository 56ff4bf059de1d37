component "a" {
  content = "RUN echo component.a.id"
}
