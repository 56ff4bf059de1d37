"""The quickstart (examples/quickstart: 6 resources) and its Terraform equivalent, for the
small-configuration goals of ``python -m bench`` (issue #20): most repositories are this size.

The Terraform configuration mirrors the quickstart with ``terraform_data``: the same variable (with
its validation), locals, the file the first component reads, the heredoc the second one holds, and
six resources in the same dependency shape (component x2 -> template -> image -> copy -> share),
plus the output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"

TERRAFORM = r'''# The quickstart (examples/quickstart) as terraform_data resources, for python -m bench.
variable "app_version" {
  type        = string
  default     = "1.0.0"
  description = "Application version baked into the image"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.app_version))
    error_message = "app_version must look like 1.2.3."
  }
}

locals {
  tags = { team = "platform", managed_by = "imgb" }
}

resource "terraform_data" "hardening" {
  input = {
    description = "Baseline hardening"
    content     = file("components/hardening.dockerfile")
    tags        = local.tags
  }
}

resource "terraform_data" "webserver" {
  input = {
    description = "A tiny web server user and its config"
    content     = <<-EOT
      RUN echo "app:x:1000:1000:app:/home/app:/bin/sh" >> /etc/passwd && \
          echo "app:x:1000:" >> /etc/group && \
          mkdir -p /home/app /srv/www && chown app:app /home/app /srv/www
      COPY files/index.html /srv/www/
      LABEL role="web"
    EOT
    tags        = local.tags
  }
}

resource "terraform_data" "template" {
  input = {
    description = "Web tier image"
    base_image  = "busybox"
    build       = <<-EOT
      COMPONENT ${terraform_data.hardening.id}
      COMPONENT ${terraform_data.webserver.id}
      ENV APP_VERSION="${var.app_version}"
      RUN echo "version ${var.app_version}" > VERSION
    EOT
    tags        = local.tags
  }
}

resource "terraform_data" "image" {
  input = {
    template = terraform_data.template.id
    name     = "web-${replace(var.app_version, ".", "-")}"
  }
}

resource "terraform_data" "copy" {
  input = { image = terraform_data.image.id, region = "local-2" }
}

resource "terraform_data" "share" {
  input = { image = terraform_data.copy.id, account = "100000000001" }
}

output "web_image_ids" {
  value = [terraform_data.image.id, terraform_data.copy.id]
}
'''


def write(directory: Path, tool: str) -> Path:
    """The quickstart (``imgb``) or its Terraform equivalent (``tf``) in ``directory``."""
    if tool == "imgb":
        shutil.copytree(QUICKSTART, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    else:
        (directory / "components").mkdir(parents=True, exist_ok=True)
        shutil.copy(QUICKSTART / "components" / "hardening.dockerfile", directory / "components")
        (directory / "main.tf").write_text(TERRAFORM)
    return directory
