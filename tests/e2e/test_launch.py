"""The front door (``imgb.reconciler.launch``): ``imgb version`` and ``imgb --help`` answered without
the CLI framework, byte for byte as the CLI answers them; everything else goes to the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from imgb.reconciler import cli_help, launch

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, *args: str, columns: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    script = f"import sys; sys.argv = ['imgb', *{list(args)!r}]; {code}"
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)


FRONT = "from imgb.reconciler.launch import main; rc = main(); print('TYPER' if 'typer' in sys.modules else '', file=sys.stderr); sys.exit(rc)"
CLI = "from imgb.reconciler.cli import main; sys.exit(main())"


def test_the_help_text_and_flag_table_are_current() -> None:
    assert launch.render_help() == cli_help.TEXT, "run: python -m imgb.reconciler.launch --write-help"
    assert f"FLAGS = {launch.render_flags()}\n" in Path(cli_help.__file__).read_text(), "run: python -m imgb.reconciler.launch --write-help"


@pytest.mark.parametrize("columns", [None, "80", "132"])
def test_help_and_version_as_the_cli_prints_them_without_typer(columns: str | None) -> None:
    for args in (["--help"], ["version"], ["-version"], ["--version"], ["-help"]):
        front, cli = run(FRONT, *args, columns=columns), run(CLI, *args, columns=columns)
        assert (front.stdout, front.returncode) == (cli.stdout, cli.returncode) and front.returncode == 0
        assert "TYPER" not in front.stderr  # answered before the CLI framework loaded


def test_narrow_terminals_and_everything_else_go_to_the_cli() -> None:
    for args, columns in ((["--help"], "60"), (["plan", "--help"], None), ([], None), (["-C", "/nonexistent", "version"], None)):
        front, cli = run(FRONT, *args, columns=columns), run(CLI, *args, columns=columns)
        assert (front.stdout, front.returncode) == (cli.stdout, cli.returncode), args
        assert "TYPER" in front.stderr, args
    narrow = run(FRONT, "--help", columns="60").stdout
    assert narrow != cli_help.TEXT and narrow.startswith("Usage: imgb")


def test_the_imgb_script_is_the_front_door() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["imgb"] == "imgb.reconciler.launch:main"
