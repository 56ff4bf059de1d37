component "a" {
  content = file("../secrets.txt")
}
