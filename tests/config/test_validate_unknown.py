"""imgb validate needs no variable values (as terraform validate): required variables are unknown,
what depends on them is checked as far as it can be, and plan still requires them (issue 22)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
variable "region" {
  type = string
}

variable "accounts" {
  type = list(string)
}

variable "bases" {
  type = map(string)
}

variable "size" {
  type = number
}

variable "app_version" {
  type = string
  validation {
    condition     = can(regex("^[0-9]+\\\\.[0-9]+\\\\.[0-9]+$", var.app_version))
    error_message = "app_version must look like 1.2.3."
  }
}

provider "alicloud" {
  region = var.region
}

component "base" {
  content = "RUN echo ${var.app_version} > /v"
  tags    = { version = var.app_version }
}

template "web" {
  for_each         = var.bases
  base_image       = each.value
  system_disk_size = var.size
  image_name       = "web-${each.key}"
  build            = "COMPONENT ${component.base.id}"
  distribute       = [distribution.prod]
}

distribution "prod" {
  regions  = ["cn-shanghai"]
  accounts = var.accounts
}

output "ids" {
  value = { for k, t in template.web : k => t.image_ids }
}
"""


def run(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_without_values(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "main.imgb.hcl").write_text(CONFIG)
    code, out, err = run(capsys, tmp_path, "validate")
    assert code == 0 and "Success!" in out, err
    # The values are still checked when given, and mistakes inside unknown-keyed blocks still show.
    code, _, err = run(capsys, tmp_path, "validate", "--var", "app_version=x")
    assert code == 1 and "app_version must look like 1.2.3." in err
    (tmp_path / "main.imgb.hcl").write_text(CONFIG.replace("var.size", "var.sise"))
    code, _, err = run(capsys, tmp_path, "validate")
    assert code == 1 and 'An input variable named "sise"' in err and "line 38" in err
    # plan needs the values.
    (tmp_path / "main.imgb.hcl").write_text(CONFIG)
    code, _, err = run(capsys, tmp_path, "plan")
    assert code == 1 and "No value for required variable" in err


def test_the_alicloud_example_validates_without_values_or_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    d = tmp_path / "ali"
    shutil.copytree(ROOT / "examples" / "alicloud", d)
    main_hcl = d / "main.imgb.hcl"
    # Every variable required: the example's defaults removed.
    text = main_hcl.read_text()
    for default in ('  default     = "1.4.2"\n', '  default = ["1234567890123456", "2234567890123456"]\n',
                    '  default   = "replace-me"\n'):  # fmt: skip
        assert default in text
        text = text.replace(default, "")
    main_hcl.write_text(text)
    code, out, err = run(capsys, d, "validate")
    assert code == 0 and "Success!" in out, err
