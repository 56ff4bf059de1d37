component "a" {
  content = "RUN true"
}

component "b" {
  for_each = toset([component.a.id])
  content  = "RUN true"
}
