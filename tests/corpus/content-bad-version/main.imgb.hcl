component "hardening" {
  version = "1.2"
  content = "RUN chmod 0700 /root"
}
