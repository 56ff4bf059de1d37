component "a" {
  content = "RUN true"
}
}
