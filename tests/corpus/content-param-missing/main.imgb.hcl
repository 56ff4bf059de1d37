component "agent" {
  content = file("components/agent.yaml")
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COMPONENT ${component.agent.id} --interval 30
  EOT
}
