"""Saved plans as Terraform's (issue 16.2): the plan file holds the non-sensitive variable values it
was made with, so ``imgb apply PLANFILE`` needs no --var for them; sensitive values are never
written, and apply asks for exactly those, by name; apply carries out the plan's recorded values
and refuses, naming what moved, when a file, a variable, a base image or the state changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imgb.providers.local.baseimages import import_image
from imgb.reconciler.cli import main

CONFIG = """
provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}

variable "release" {
  type = string
}

variable "token" {
  type      = string
  sensitive = true
}

component "app" {
  content = <<-EOT
    COPY files/app.conf /etc/app.conf
    RUN echo ${var.release} > /etc/release && echo ${var.token} > /etc/token
  EOT
}

template "web" {
  base_image = "mybase"
  build      = "COMPONENT ${component.app.id}"
}
"""

SECRET = "s3cr3t-t0ken"


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("IMGB_VAR_token", "IMGB_VAR_release"):
        monkeypatch.delenv(name, raising=False)
    d = tmp_path / "repo"
    (d / "files").mkdir(parents=True)
    (d / "main.imgb.hcl").write_text(CONFIG)
    (d / "files" / "app.conf").write_text("port = 80\n")
    _import_base(tmp_path, d)
    return d


def _import_base(tmp_path: Path, d: Path) -> None:
    """Import (again) the base image "mybase": a name that then means a newer image."""
    rootfs = tmp_path / "rootfs"
    if not rootfs.exists():
        (rootfs / "etc").mkdir(parents=True)
        (rootfs / "bin").mkdir()
        shutil.copy("/bin/busybox", rootfs / "bin" / "busybox")
        (rootfs / "bin" / "sh").symlink_to("busybox")
    generation = len(list(tmp_path.glob("gen-*")))
    (rootfs / "etc" / "generation").write_text(str(generation))
    (tmp_path / f"gen-{generation}").touch()
    # As imgb image import does; its command loads the configuration, whose variables have no values here.
    import_image(d / ".imgb" / "cloud", "local-1", "mybase", str(rootfs))


def test_apply_a_saved_plan_without_giving_its_variables_again(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d, plan = repo, repo / "p.imgbplan"
    code, _, err = imgb(capsys, d, "plan", "-var", "release=7.7.7", "-var", f"token={SECRET}", "-out=" + str(plan))
    assert code == 0, err
    saved = plan.read_bytes()
    assert SECRET.encode() not in saved, "a sensitive value reached the plan file"
    doc = json.loads(saved)["plan"]
    assert doc["variables"] == {"release": "7.7.7"} and set(doc["sensitive_variables"]) == {"token"}

    # The sensitive value is asked for by name, and nothing happens without it.
    code, out, err = imgb(capsys, d, "apply", str(plan))
    assert code == 1 and "Sensitive values needed to apply this plan" in err and "token" in err and "IMGB_VAR_token" in err
    assert "release" not in err and not (d / "imgb.state.json").exists()
    # A different one is refused, naming the variable.
    code, _, err = imgb(capsys, d, "apply", "-var", "token=other", str(plan))
    assert code == 1 and "Saved plan is stale" in err and "sensitive variable token" in err
    # A non-sensitive value may be repeated, not changed (Terraform's rule).
    code, _, err = imgb(capsys, d, "apply", "-var", "release=8.0.0", "-var", f"token={SECRET}", str(plan))
    assert code == 1 and "Can't change variable when applying a saved plan" in err and "release" in err
    assert not (d / "imgb.state.json").exists()

    code, out, err = imgb(capsys, d, "apply", "-var", "release=7.7.7", "-var", f"token={SECRET}", str(plan))
    assert code == 0, err
    assert "Apply complete!" in out and SECRET not in out + err
    # The provider got the recorded values, the secret whole; the state holds it masked.
    store = (d / ".imgb" / "cloud").rglob("*.json")
    contents = [json.loads(p.read_text()).get("content", "") for p in store if "components" in p.parts]
    assert any("echo 7.7.7" in c and SECRET in c for c in contents), contents
    state = (d / "imgb.state.json").read_text()
    assert SECRET not in state and "echo 7.7.7" in state

    code, out, _ = imgb(capsys, d, "plan", "-var", "release=7.7.7", "-var", f"token={SECRET}", "--detailed-exitcode")
    assert code == 0 and "No changes" in out


def test_environment_values_count_only_for_sensitive_variables(repo: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    d, plan = repo, repo / "p.imgbplan"
    monkeypatch.setenv("IMGB_VAR_token", SECRET)
    assert imgb(capsys, d, "plan", "-var", "release=1.0.0", "-out", str(plan))[0] == 0
    monkeypatch.setenv("IMGB_VAR_release", "9.9.9")  # the plan's value wins, as in Terraform
    code, out, err = imgb(capsys, d, "apply", str(plan))
    assert code == 0, err
    assert "echo 1.0.0" in (d / "imgb.state.json").read_text()


def test_refusals_name_what_moved(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d, plan = repo, repo / "p.imgbplan"
    args = ("-var", "release=1", "-var", f"token={SECRET}")

    def stale(*extra: str) -> str:
        code, _, err = imgb(capsys, d, "apply", *args, *extra, str(plan))
        assert code == 1 and "Saved plan is stale" in err, err
        return err

    assert imgb(capsys, d, "plan", *args, "-out", str(plan))[0] == 0
    (d / "files" / "app.conf").write_text("port = 8080\n")
    assert "files/app.conf, which the configuration reads, changed" in stale()
    (d / "files" / "app.conf").write_text("port = 80\n")

    (d / "extra.imgb.hcl").write_text('variable "unused" {\n  default = 1\n}\n')
    assert "the configuration changed: extra.imgb.hcl was added" in stale()
    (d / "extra.imgb.hcl").unlink()

    _import_base(tmp_path, d)
    assert "base image mybase moved from m-" in stale()

    assert imgb(capsys, d, "apply", "--auto-approve", *args)[0] == 0
    assert imgb(capsys, d, "plan", "-var", "release=2", "-var", f"token={SECRET}", "-out", str(plan))[0] == 0
    assert imgb(capsys, d, "apply", "--auto-approve", "-var", "release=3", "-var", f"token={SECRET}")[0] == 0
    code, _, err = imgb(capsys, d, "apply", "-var", f"token={SECRET}", str(plan))
    assert code == 1 and "the state changed after the plan was made (serial 2 → 3)" in err, err
