component "a" {
  content = file("link.txt")
}
