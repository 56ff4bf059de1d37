component "a" {
  content = file("/etc/passwd")
}
