component "base" {
  content = "RUN true"
}

component "app" {
  content    = "RUN true"
  depends_on = [component.bse, local.x]
}
