template "web" {
  base_image = "busybox"
  build      = <<-EOT
    RUN true
  EOT

  distribute = [distribution.everywhere]
}

distribution "everywhere" {
  regions = ["region-1", "region-2", "region-3", "region-4", "region-5", "region-6", "region-7", "region-8", "region-9", "region-10", "region-11", "region-12", "region-13", "region-14", "region-15", "region-16", "region-17", "region-18", "region-19", "region-20", "region-21"]
}
