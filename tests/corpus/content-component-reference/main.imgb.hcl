template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COMPONENT component.agent.id
    COMPONENT nginx
    COMPONENT acs:ecs:cn-hangzhou:1234567890:imagecomponent/Base:1.0.0
    COMPONENT ic-bp18hy47cqavewsb
  EOT
}

component "agent" {
  content = "RUN true"
}
