component "many" {
  content = file("components/many.dockerfile")
}
