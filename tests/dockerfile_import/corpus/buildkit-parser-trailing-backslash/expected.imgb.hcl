# Imported from Dockerfile by imgb import-dockerfile.

component "buildkit-parser-trailing-backslash" {
  description = "Imported from Dockerfile"
  content     = <<-EOT
    ENV A="path"
    ENV B="another\\path"
    ENV C="trailing\\backslash\\"
    ENV D="This should not be appended to C"
    ENV E="helloworld"
    ENV F="hello world"
    ENV G="hello world"
  EOT
}

template "buildkit-parser-trailing-backslash" {
  description = "Imported from Dockerfile"
  base_image  = "hello-world:latest@sha256:62af9efd515a25f84961b70f973a798d2eca956b1b2b026d0a4a63a3b0b6a3f2"
  build       = <<-EOT
    COMPONENT ${component.buildkit-parser-trailing-backslash.id}
  EOT
}
