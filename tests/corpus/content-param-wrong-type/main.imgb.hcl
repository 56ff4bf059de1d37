component "agent" {
  content = file("components/agent.yaml")
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COMPONENT ${component.agent.id} \
      --endpoint https://m.example.com \
      --interval often \
      --debug yes
  EOT
}
