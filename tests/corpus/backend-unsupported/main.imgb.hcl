imgb {
  backend "s3" {
    bucket = "x"
  }
}

imgb {
}
