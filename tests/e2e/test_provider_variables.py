"""Provider settings from variables and locals, through the CLI: the local provider's home region,
and the alicloud provider's region and endpoint against the API emulator (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator

ROOT = Path(__file__).resolve().parents[2]
ALINUX = "aliyun_3_x64_20G_alibase_20240528.vhd"


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


LOCAL = """
variable "home" {
  type = string
}

locals {
  store = ".imgb/${var.home}-store"
}

provider "local" {
  root   = local.store
  region = var.home
}

template "web" {
  base_image = "busybox"
  build      = "RUN echo hello > /hello"
}
"""


def test_local_provider_region_from_a_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(LOCAL)
    code, out, err = imgb(capsys, d, "apply", "--auto-approve", "--var", "home=local-7")
    assert code == 0, err
    # The same value from the environment: nothing to do, and the image is in local-7.
    monkeypatch.setenv("IMGB_VAR_home", "local-7")
    code, out, err = imgb(capsys, d, "plan", "--detailed-exitcode")
    assert code == 0, out + err
    code, out, err = imgb(capsys, d, "images", "--json")
    rows = [r for r in json.loads(out) if r.get("content_hash")]
    assert [r["region"] for r in rows] == ["local-7"], out + err
    assert (d / ".imgb" / "local-7-store").is_dir()


def test_a_provider_attribute_that_fails_is_an_error_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(LOCAL.replace("region = var.home", "region = var.hom"))
    code, out, err = imgb(capsys, d, "plan", "--var", "home=local-7")
    assert code == 1
    assert "Reference to undeclared input variable" in err and "line 12" in err, err
    # null is not a silent default for a required argument.
    (d / "main.imgb.hcl").write_text(
        'variable "r" {\n  default = null\n}\nprovider "alicloud" {\n  region = var.r\n}\n'
    )
    code, out, err = imgb(capsys, d, "validate")
    assert code == 1 and "Required attribute is null" in err and "line 5" in err, err


def test_backend_blocks_are_literal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(
        'variable "p" {\n  default = "x.json"\n}\nimgb {\n  backend "local" {\n    path = var.p\n  }\n}\n'
    )
    code, out, err = imgb(capsys, d, "validate")
    assert code == 1 and "Variables not allowed" in err and "line 6" in err, err


def _run(d: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET,
        "IMGB_ALICLOUD_POLL_SECONDS": "0.02",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "imgb.reconciler.cli", "-C", str(d), *args],
        cwd=ROOT, env=full, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


ALICLOUD = f"""
variable "region" {{
  type = string
}}

variable "endpoint" {{
  type = string
}}

provider "alicloud" {{
  region   = var.region
  endpoint = var.endpoint
}}

component "base" {{
  content = "RUN echo base > /base"
}}

template "web" {{
  base_image = "{ALINUX}"
  build      = "COMPONENT ${{component.base.id}}"
}}
"""


def test_alicloud_region_and_endpoint_from_variables(tmp_path: Path) -> None:
    with Emulator(seed=5, phase_seconds=0.02, copy_seconds=0.02) as em:
        for region in ("cn-hangzhou", "cn-shanghai"):
            em.world.add_image(region, ALINUX, name=ALINUX, family="acs:aliyun_3_x64", owner_alias="system", created=1716800000.0)
        d = tmp_path / "ali"
        d.mkdir()
        (d / "main.imgb.hcl").write_text(ALICLOUD)
        (d / "region.auto.imgbvars.hcl").write_text('region = "cn-shanghai"\n')
        env = {"IMGB_VAR_endpoint": f"http://{em.endpoint}"}

        r = _run(d, "plan", "--detailed-exitcode", env=env)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "Builds: 1" in r.stdout
        r = _run(d, "apply", "--auto-approve", env=env)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        # Everything went to the emulator (the endpoint), in the region the variable names.
        assert [c for c in em.world.created if c[0] == "execution"]
        assert {region for _, _, region in em.world.created} == {"cn-shanghai"}
        r = _run(d, "plan", "--detailed-exitcode", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        r = _run(d, "destroy", "--auto-approve", env=env)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
