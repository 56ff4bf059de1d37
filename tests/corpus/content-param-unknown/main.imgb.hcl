component "agent" {
  content = file("components/agent.yaml")
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COMPONENT ${component.agent.id} --endpoint https://m.example.com --intervall 30
  EOT
}
