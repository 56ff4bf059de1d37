component "agent" {
  content = file("components/agent.yaml")
}
