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


FRONT = "from imgb.reconciler.launch import main; rc = main(); 'typer' in sys.modules and print('TYPER', file=sys.stderr); sys.exit(rc)"
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


VALIDATE_LINES = [
    ["validate"],
    ["-validate"],
    ["validate", "-json"],
    ["validate", "--json", "--no-color"],
    ["-chdir=examples/quickstart", "validate", "-var", "app_version=2.0.1"],
    ["-chdir=examples/quickstart", "validate", "-var=app_version=x", "-json"],
    ["-C", "examples/quickstart", "validate", "-var", "nope=1", "-var", "app_version=1.0.0"],
    ["-chdir=examples/quickstart", "validate", "-var-file", "missing.imgbvars.hcl"],
    ["-chdir=examples/quickstart", "-no-color", "-allow-path=/tmp", "validate"],
    ["-chdir=/nonexistent", "validate"],
    ["validate", "--bogus"],
    ["validate", "extra"],
    ["validate", "-json", "-json"],
    ["validate", "-help"],
    ["-C", "tests"],
]


@pytest.mark.parametrize("args", VALIDATE_LINES, ids=" ".join)
def test_validate_without_typer_prints_what_the_cli_prints(args: list[str], tmp_path: Path) -> None:
    """A plain validate runs without the CLI framework (``cli_fast``); every other command line goes
    to the CLI. Either way the output and the exit code are the CLI's, byte for byte."""
    front, cli = run(FRONT, *args), run(CLI, *args)
    assert (front.stdout, front.stderr.replace("TYPER\n", ""), front.returncode) == (cli.stdout, cli.stderr, cli.returncode)
    fast = "validate" in args and not {"-validate", "--bogus", "extra", "-help"} & set(args) and args.count("-json") < 2
    assert ("TYPER" not in front.stderr) == (fast and "/nonexistent" not in " ".join(args)), front.stderr
