component "big" {
  content = file("components/big.dockerfile")
}
