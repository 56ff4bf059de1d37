component "a" {
  for_each = 3
  content  = "RUN true"
}

component "b" {
  for_each = ["x", "x"]
  content  = "RUN ${each.value}"
}
