locals {
  name = formatt("web-%s", "1")
  joined = join(",")
  n = length(1)
}
