"""imgb init: a repository that works at once with the local provider, and never overwrites."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgb.reconciler.cli import main
from imgb.reconciler.scaffold import FILES, WORKFLOWS, file_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gitops"


def _imgb(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a clean environment, as on a fresh machine."""
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(cwd.parent), "LANG": "C.UTF-8"}
    return subprocess.run(["imgb", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.sandbox
def test_init_then_apply_builds_and_a_second_plan_has_no_changes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    r = _imgb(repo, "init")
    assert r.returncode == 0, r.stderr
    assert sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()) == sorted(FILES)
    assert "imgb apply --auto-approve" in r.stdout

    r = _imgb(repo, "apply", "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "image.base: Built" in r.stdout and "Apply complete!" in r.stdout
    r = _imgb(repo, "plan", "--detailed-exitcode", "--out", "imgb.plan")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No changes." in r.stdout

    # Everything imgb wrote is ignored by Git; only the scaffold's files are left to commit.
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True, text=True, check=True)
    assert sorted(line[3:] for line in status.stdout.splitlines()) == sorted(FILES)


def test_init_refuses_to_overwrite_and_force_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "repo"
    assert main(["-C", str(tmp_path), "init", "new/repo"]) == 0
    out = capsys.readouterr().out
    assert f"Created {target / 'main.imgb.hcl'}" in out and "cd " in out
    (target / ".gitignore").write_text("mine\n")
    (target / "main.imgb.hcl").write_text("# mine\n")

    assert main(["-C", str(target), "init"]) == 1
    err = capsys.readouterr().err
    assert "Error: Files already exist" in err and ".gitignore" in err and "main.imgb.hcl" in err and "--force" in err
    assert (target / ".gitignore").read_text() == "mine\n", "nothing may be written when anything exists"

    assert main(["-C", str(target), "init", "--force"]) == 0
    capsys.readouterr()
    for dest in FILES:
        assert (target / dest).read_text() == file_text(dest)


def test_init_into_a_file_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("")
    assert main(["-C", str(tmp_path), "init", "f"]) == 1
    assert "Error: Not a directory" in capsys.readouterr().err


def test_examples_gitops_carries_the_scaffold_workflows() -> None:
    for dest in (*WORKFLOWS, ".gitignore"):
        assert (EXAMPLE / dest).read_text() == file_text(dest), f"examples/gitops/{dest} differs from what imgb init writes"


def test_scaffold_configuration_is_formatted_and_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.imgb.hcl").write_text(file_text("main.imgb.hcl"))
    assert main(["-C", str(tmp_path), "fmt", "--check"]) == 0
    assert main(["-C", str(tmp_path), "validate"]) == 0
    capsys.readouterr()
