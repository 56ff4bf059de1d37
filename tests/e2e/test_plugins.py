"""A provider and a state backend that live only in the tests (tests/plugins: dircloud, sqlite),
run end to end by the imgb command: found through the imgb.providers and imgb.backends entry
points, with no line of imgb's engine naming them. Their schema is theirs: dircloud declares no
limit on distribution regions, where the local provider (Image Builder's) allows 20."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("test_plugins")

REGIONS = [f"dc-{i}" for i in range(2, 27)]  # 25 regions besides the home region
CONFIG = """
imgb {
  backend "sqlite" {
    path = "state/imgb.db"
  }
}

provider "dircloud" {
  region = "dc-1"
  root   = "cloud"
}

variable "release" {
  default = "1"
}

component "app" {
  content = "RUN echo ${var.release} > /release"
}

template "web" {
  base_image = "base"
  build      = "COMPONENT ${component.app.id}"
  distribute = [distribution.everywhere]
}

distribution "everywhere" {
  regions  = REGIONS
  accounts = ["100000000001"]
}
""".replace("REGIONS", json.dumps(REGIONS))


def imgb(d: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The imgb command in a process of its own, as a user runs it."""
    env = {**os.environ, "IMGB_CACHE_DIR": str(d.parent / "cache")}
    return subprocess.run([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(d), *args], env=env,
                          capture_output=True, text=True, timeout=600)


def test_plan_apply_destroy_with_a_provider_and_backend_from_entry_points(tmp_path: Path) -> None:
    d = tmp_path / "repo"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(CONFIG)

    r = imgb(d, "validate")
    assert r.returncode == 0, r.stderr  # 25 regions: dircloud's schema sets no limit
    r = imgb(d, "plan", "-out", str(d / "p.imgbplan"))
    assert r.returncode == 0, r.stderr
    assert "Builds: 1, copies: 25, shares: 25" in r.stdout
    r = imgb(d, "apply", str(d / "p.imgbplan"))
    assert r.returncode == 0, r.stderr
    assert "Apply complete!" in r.stdout

    cloud = json.loads((d / "cloud" / "cloud.json").read_text())["objects"]
    kinds = sorted(o["kind"] for o in cloud.values())
    assert kinds.count("copy") == 25 and kinds.count("share") == 25 and kinds.count("image") == 1
    with sqlite3.connect(d / "state" / "imgb.db") as db:  # the state is in the sqlite backend's database
        assert db.execute("SELECT COUNT(*) FROM snapshots WHERE workspace = 'default'").fetchone() == (1,)
    assert not (d / "imgb.state.json").exists()

    r = imgb(d, "plan", "--detailed-exitcode")
    assert r.returncode == 0 and "No changes" in r.stdout, r.stdout + r.stderr
    r = imgb(d, "apply", "--auto-approve", "-var", "release=2")
    assert r.returncode == 0 and "image.web: Built" in r.stdout, r.stdout + r.stderr
    assert imgb(d, "state", "list").stdout.count("image.web") == 2  # the new image, and one retained

    r = imgb(d, "destroy", "--auto-approve")
    assert r.returncode == 0 and "Destroy complete!" in r.stdout, r.stderr
    assert json.loads((d / "cloud" / "cloud.json").read_text())["objects"] == {}
    assert imgb(d, "state", "list").stdout == ""


def test_limits_are_the_providers(tmp_path: Path) -> None:
    d = tmp_path / "repo"
    d.mkdir()
    local = CONFIG.replace('provider "dircloud" {\n  region = "dc-1"\n  root   = "cloud"\n}', 'provider "local" {\n  root = "cloud"\n}')
    (d / "main.imgb.hcl").write_text(local)
    r = imgb(d, "validate")
    assert r.returncode == 1 and "Too many distribution regions" in r.stderr and "at most 20" in r.stderr
    (d / "main.imgb.hcl").write_text(CONFIG.replace('"sqlite"', '"sqlit"'))
    r = imgb(d, "validate")
    assert r.returncode == 1 and 'There is no backend "sqlit"' in r.stderr and 'Did you mean "sqlite"?' in r.stderr
