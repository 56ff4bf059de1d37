"""imgb init: a repository that works at once, CI files at the Git root, and no overwriting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from imgb.reconciler.cli import main
from imgb.reconciler.scaffold import CI_FILES, CONFIG_FILES, Options, file_text, merge_gitignore

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = sorted([*CONFIG_FILES, ".gitignore", *CI_FILES])


def _imgb(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a clean environment, as on a fresh machine."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(cwd.parent),
        "LANG": "C.UTF-8",
        "IMGB_HOME": str(cwd.parent / "store"),
    }
    return subprocess.run(["imgb", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _files(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and ".git" not in p.parts)


@pytest.mark.sandbox
def test_init_then_apply_builds_and_a_second_plan_has_no_changes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    r = _imgb(repo, "init")
    assert r.returncode == 0, r.stderr
    assert _files(repo) == WRITTEN
    assert "imgb apply --auto-approve" in r.stdout
    assert "root =" not in (repo / "main.imgb.hcl").read_text(), "the store is IMGB_HOME's, not the configuration's"

    r = _imgb(repo, "apply", "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "image.base: Built" in r.stdout and "Apply complete!" in r.stdout
    assert list((tmp_path / "store" / "records" / "local-2" / "images").glob("*.json")), "built into IMGB_HOME"
    r = _imgb(repo, "plan", "--detailed-exitcode", "--out", "imgb.plan")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No changes." in r.stdout

    # Everything imgb wrote is ignored by Git; only the scaffold's files are left to commit.
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True, text=True, check=True)
    assert sorted(line[3:] for line in status.stdout.splitlines()) == WRITTEN


def test_init_in_a_subdirectory_of_a_git_repository_puts_ci_at_the_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "infra").mkdir()
    assert main(["-C", str(tmp_path / "infra"), "init", "prod", "--backend", "pg", "--provider", "alicloud"]) == 0
    out = capsys.readouterr().out
    assert "infra/prod (IMGB_DIR)" in out and "pin the imgb" in out
    assert _files(tmp_path) == sorted([*CI_FILES, "infra/prod/.gitignore", *(f"infra/prod/{f}" for f in CONFIG_FILES)])
    gh = yaml.safe_load((tmp_path / ".github/workflows/imgb.yml").read_text())
    assert gh["env"]["IMGB_DIR"] == "${{ vars.IMGB_DIR || 'infra/prod' }}"
    assert gh["jobs"]["plan"]["runs-on"] == "ubuntu-latest" and "ALIBABA_CLOUD_ACCESS_KEY_ID" in gh["env"]
    gl = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text())
    assert gl["variables"]["IMGB_DIR"] == "infra/prod" and "tags" not in gl["default"]
    config = (tmp_path / "infra/prod/main.imgb.hcl").read_text()
    assert 'provider "alicloud"' in config and 'backend "pg"' in config
    assert main(["-C", str(tmp_path / "infra/prod"), "validate"]) == 0
    assert main(["-C", str(tmp_path / "infra/prod"), "fmt", "-check"]) == 0


def test_init_refuses_to_overwrite_and_force_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "repo"
    assert main(["-C", str(tmp_path), "init", "new/repo"]) == 0
    out = capsys.readouterr().out
    assert "Created new/repo/main.imgb.hcl" in out and "Created new/repo/.gitlab-ci.yml" in out and "cd " in out
    (target / "main.imgb.hcl").write_text("# mine\n")
    (target / ".gitlab-ci.yml").write_text("# mine\n")

    assert main(["-C", str(target), "init"]) == 1
    err = capsys.readouterr().err
    assert "Error: Files already exist" in err and ".gitlab-ci.yml" in err and "main.imgb.hcl" in err and "--force" in err
    assert (target / ".gitlab-ci.yml").read_text() == "# mine\n", "nothing may be written when anything exists"

    assert main(["-C", str(target), "init", "--force"]) == 0
    capsys.readouterr()
    for dest in (*CONFIG_FILES, *CI_FILES):
        assert (target / dest).read_text() == file_text(dest)


def test_init_adds_its_lines_to_an_existing_gitignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\nimgb.plan")
    assert main(["-C", str(tmp_path), "init"]) == 0
    assert "Added imgb's lines to .gitignore" in capsys.readouterr().out
    text = (tmp_path / ".gitignore").read_text()
    assert text.startswith("node_modules/\nimgb.plan\n\n# imgb: added by imgb init\n")
    assert text.count("imgb.plan\n") == 1 and "imgb.state.json\n" in text
    assert merge_gitignore(text, file_text(".gitignore")) is None, "a second init adds nothing"


def test_init_with_an_unknown_provider_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path), "init", "--provider", "aws"]) == 1
    assert "Error: Invalid --provider" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_init_into_a_file_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("")
    assert main(["-C", str(tmp_path), "init", "f"]) == 1
    assert "Error: Not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("provider", ["local", "alicloud"])
@pytest.mark.parametrize("backend", ["local", "pg"])
def test_scaffold_configuration_is_formatted_and_valid(
    provider: str, backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "main.imgb.hcl").write_text(file_text("main.imgb.hcl", Options(provider=provider, backend=backend)))
    assert main(["-C", str(tmp_path), "fmt", "--check"]) == 0
    assert main(["-C", str(tmp_path), "validate"]) == 0
    capsys.readouterr()


def test_pin_check_refuses_a_bare_name(tmp_path: Path) -> None:
    """The workflows' first step: imgb is installed only from a pinned source."""
    (tmp_path / "ci/imgb").mkdir(parents=True)
    helper = ROOT / "reconciler/scaffold/templates/ci.py"

    def check(requirement: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "ci/imgb/requirements.txt").write_text(f"# comment\n{requirement}\n")
        return subprocess.run([sys.executable, str(helper), "pin-check"], cwd=tmp_path, capture_output=True, text=True)

    for loose in ("imgb[pg]", "imgb[pg]==0.1.0", "imgb @ git+https://git.example.com/imgb.git@main",
                  "# imgb[pg] @ <pin imgb here>"):
        r = check(loose)
        assert r.returncode == 1 and ("not pinned" in r.stderr or "names no imgb" in r.stderr), (loose, r.stderr)
    for pinned in ("imgb[pg] @ git+https://git.example.com/imgb.git@" + "a" * 40,
                   "imgb[pg] @ https://files.example.com/imgb-0.1.0-py3-none-any.whl#sha256=" + "b" * 64,
                   "imgb[pg]==0.1.0 --hash=sha256:" + "c" * 64):
        r = check(pinned)
        assert r.returncode == 0, (pinned, r.stderr)
