component "a" {
  description = "no content"
}
