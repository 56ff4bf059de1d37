"""Workspaces through the CLI, on both backends, as a Terraform user drives them: new, select,
list, show and delete through state/workspace.py (locked, refusing objects or operations in flight
unless -force), each with a state of its own, and ``imgb.workspace`` in expressions. The command
sequence is compared with terraform's own workspaces."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures)

from imgb.reconciler.cli import main
from imgb.state.backend import LockInfo
from imgb.state.manager import StateManager
from imgb.state.model import Operation

CONFIG = """
component "agent" {
  content = "RUN echo agent"
  tags    = { workspace = imgb.workspace }
}

template "web" {
  base_image = "busybox"
  build      = "COMPONENT ${component.agent.id}"
  image_name = "web-${imgb.workspace}"
}

output "workspace" {
  value = imgb.workspace
}
"""


@pytest.fixture(params=["local", "pg"])
def cfg(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cfg"
    d.mkdir()
    text = CONFIG
    if request.param == "pg":
        schema = request.getfixturevalue("pg_schema")
        monkeypatch.setenv("IMGB_PG_CONN_STR", request.getfixturevalue("pg_dsn"))
        text = f'imgb {{\n  backend "pg" {{\n    schema_name = "{schema}"\n  }}\n}}\n' + text
    (d / "main.imgb.hcl").write_text(text)
    monkeypatch.setenv("IMGB_HOME", str(tmp_path / "store"))
    monkeypatch.delenv("IMGB_WORKSPACE", raising=False)
    return d


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-chdir=" + str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


def backend(d: Path):  # type: ignore[no-untyped-def]
    from imgb.reconciler.project import Project

    return Project(d).backend()


def test_new_select_list_show(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert imgb(capsys, cfg, "workspace", "show")[1] == "default\n"
    assert imgb(capsys, cfg, "workspace", "new", "staging")[0] == 0
    assert imgb(capsys, cfg, "workspace", "show")[1] == "staging\n"
    # the sequence the issue reports failing
    assert imgb(capsys, cfg, "workspace", "select", "default")[0] == 0
    code, out, err = imgb(capsys, cfg, "workspace", "select", "staging")
    assert code == 0 and out == 'Switched to workspace "staging".\n', err
    assert imgb(capsys, cfg, "workspace", "new", "alpha")[0] == 0
    assert imgb(capsys, cfg, "workspace", "list")[1] == "  default\n* alpha\n  staging\n"  # default first, as terraform

    code, _, err = imgb(capsys, cfg, "workspace", "select", "stagign")
    assert code == 1 and 'there is no workspace "stagign"' in err and 'Did you mean "staging"?' in err
    code, _, err = imgb(capsys, cfg, "workspace", "new", "staging")
    assert code == 1 and "already exists" in err
    code, out, _ = imgb(capsys, cfg, "workspace", "select", "-or-create", "fresh")
    assert code == 0 and out == 'Created and switched to workspace "fresh".\n'
    assert imgb(capsys, cfg, "workspace", "show")[1] == "fresh\n"


def test_each_workspace_has_its_own_state_and_names(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = imgb(capsys, cfg, "apply", "-auto-approve")
    assert code == 0, err
    assert imgb(capsys, cfg, "output", "-raw", "workspace")[1] == "default"
    assert imgb(capsys, cfg, "workspace", "new", "staging")[0] == 0
    code, out, _ = imgb(capsys, cfg, "plan", "-detailed-exitcode")
    assert code == 2 and "Plan: 3 to add" in out and '"web-staging"' in out, out  # an empty state: everything anew
    code, _, err = imgb(capsys, cfg, "apply", "-auto-approve")
    assert code == 0, err
    assert imgb(capsys, cfg, "output", "-raw", "workspace")[1] == "staging"
    assert "image.web" in imgb(capsys, cfg, "state", "list")[1]
    code, out, _ = imgb(capsys, cfg, "output", "-json")
    assert '"staging"' in out
    assert imgb(capsys, cfg, "workspace", "select", "default")[0] == 0
    assert imgb(capsys, cfg, "plan", "-detailed-exitcode")[0] == 0  # default's state is untouched
    assert imgb(capsys, cfg, "output", "-raw", "workspace")[1] == "default"
    # IMGB_WORKSPACE overrides the selection, for imgb.workspace too
    os.environ["IMGB_WORKSPACE"] = "staging"
    try:
        assert imgb(capsys, cfg, "workspace", "show")[1] == "staging\n"
        assert imgb(capsys, cfg, "plan", "-detailed-exitcode")[0] == 0
    finally:
        del os.environ["IMGB_WORKSPACE"]


def test_delete_is_locked_and_refuses_what_it_would_forget(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert imgb(capsys, cfg, "workspace", "new", "staging")[0] == 0
    assert imgb(capsys, cfg, "apply", "-auto-approve")[0] == 0
    code, _, err = imgb(capsys, cfg, "workspace", "delete", "staging")
    assert code == 1 and "is the selected one" in err
    assert imgb(capsys, cfg, "workspace", "select", "default")[0] == 0
    code, _, err = imgb(capsys, cfg, "workspace", "delete", "staging")
    assert code == 1 and "still manages" in err and "force" in err
    code, _, err = imgb(capsys, cfg, "workspace", "delete", "-force", "default")
    assert code == 1 and "cannot be deleted" in err

    # held by someone else: refused even with -force, waited for with -lock-timeout
    b = backend(cfg)
    held = LockInfo(operation="apply")
    b.lock(held, workspace="staging")
    try:
        code, _, err = imgb(capsys, cfg, "workspace", "delete", "-force", "-lock-timeout=1s", "staging")
        assert code == 1 and "lock" in err.lower(), err
        assert "staging" in imgb(capsys, cfg, "workspace", "list")[1]
    finally:
        b.unlock(held.id, "staging")

    # an operation in flight (an apply killed mid-build) is refused too
    assert imgb(capsys, cfg, "workspace", "new", "other")[0] == 0
    with StateManager(backend(cfg), "other").session("test") as s:
        s.begin_operation(Operation(
            address="image.web", kind="image", provider="local", token="build-1", handle={}, template="template.web",
            image_hash="0" * 64, started_at="2026-12-04T20:00:00Z",
        ))
    assert imgb(capsys, cfg, "workspace", "select", "default")[0] == 0
    code, _, err = imgb(capsys, cfg, "workspace", "delete", "other")
    assert code == 1 and "1 operation(s) in progress" in err

    assert imgb(capsys, cfg, "workspace", "delete", "-force", "staging")[0] == 0
    assert imgb(capsys, cfg, "workspace", "delete", "-force=true", "other")[0] == 0
    assert imgb(capsys, cfg, "workspace", "list")[1] == "* default\n"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform 1.11 is part of the test environment")
def test_the_same_sequence_as_terraform(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit codes and the list/show output of one command sequence, imgb against terraform."""
    tf, mine = tmp_path / "tf", tmp_path / "imgb"
    tf.mkdir()
    mine.mkdir()
    (tf / "main.tf").write_text('output "w" { value = terraform.workspace }\n')
    (mine / "main.imgb.hcl").write_text('output "w" {\n  value = imgb.workspace\n}\n')
    monkeypatch.setenv("IMGB_HOME", str(tmp_path / "store"))
    monkeypatch.delenv("IMGB_WORKSPACE", raising=False)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"}
    env.pop("TF_WORKSPACE", None)
    sequence = [
        ["workspace", "show"], ["workspace", "new", "staging"], ["workspace", "show"], ["workspace", "select", "default"],
        ["workspace", "select", "staging"], ["workspace", "list"], ["workspace", "new", "staging"],
        ["workspace", "select", "nosuch"], ["workspace", "delete", "staging"], ["workspace", "select", "default"],
        ["workspace", "new", "bad name"], ["workspace", "delete", "default"], ["workspace", "delete", "nosuch"],
        ["workspace", "select", "-or-create", "fresh"], ["workspace", "list"], ["workspace", "delete", "-force", "staging"],
        ["workspace", "list"],
    ]  # fmt: skip
    for args in sequence:
        run = subprocess.run(["terraform", *args[:2], "-no-color", *args[2:]] if len(args) > 2 else ["terraform", *args],
                             cwd=tf, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        code, out, _ = imgb(capsys, mine, *args)
        assert code == run.returncode, (args, run.stdout, run.stderr)
        if args[1] in ("show", "list"):
            assert out.strip("\n") == run.stdout.strip("\n"), (args, out, run.stdout)
