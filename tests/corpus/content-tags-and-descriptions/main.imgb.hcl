component "agent" {
  description = "x"
  content     = "RUN true"
  tags = {
    "aliyun-team" = "web"
    owner         = "acs:me"
  }
}
