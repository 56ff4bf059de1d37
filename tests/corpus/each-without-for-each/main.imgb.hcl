component "a" {
  content = "RUN echo ${each.key}"
}
