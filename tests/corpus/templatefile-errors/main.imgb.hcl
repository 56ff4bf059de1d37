component "a" {
  content = templatefile("tpl/run.tpl", { name = "x" })
}
