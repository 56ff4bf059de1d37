locals {
  c = "${local.a}-c"
  b = "${local.c}-b"
  a = "${local.b}-a"
  ok = "fine"
}

component "x" {
  content = "RUN echo ${local.a}"
}
