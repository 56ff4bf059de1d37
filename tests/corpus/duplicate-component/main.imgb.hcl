component "a" {
  content = "RUN true"
}

component "a" {
  content = "RUN false"
}
