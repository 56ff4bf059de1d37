component "a" {
  content = file("components/missing.dockerfile")
}
