"""The front door (``imgb.reconciler.launch``): ``imgb version`` and ``imgb --help`` answered without
the CLI framework, byte for byte as the CLI answers them; everything else goes to the CLI."""

from __future__ import annotations

import os
import shutil
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


FRONT = ("import atexit; atexit.register(lambda: 'typer' in sys.modules and print('TYPER', file=sys.stderr)); "
         "from imgb.reconciler.launch import entry; entry()")
"""The ``imgb`` script's own code (``entry``), telling whether the CLI framework loaded."""
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
    assert scripts["imgb"] == "imgb.reconciler.launch:entry"


ENDING = """
import atexit
class Alive:
    def __del__(self):
        print("teardown", file=sys.stderr)
alive = Alive()
atexit.register(lambda: print("exit handlers ran", file=sys.stderr))
from imgb.reconciler.launch import entry
entry()
"""


def test_a_command_run_without_the_cli_framework_ends_without_the_interpreters_teardown(sites: dict[str, Path]) -> None:
    """Exit handlers run and the exit code is kept; the interpreter does not free every object
    (6-12 ms of a small command). Commands the CLI runs end the ordinary way."""
    applied, new = f"-chdir={sites['applied']}", f"-chdir={sites['new']}"
    for args, code in (([applied, "plan", "-detailed-exitcode"], 0), ([new, "plan", "-detailed-exitcode"], 2),
                       ([applied, "validate"], 0), ([applied, "validate", "-var=app_version=x"], 1)):
        ran = run(ENDING, *args)
        assert ran.returncode == code, ran.stderr
        assert "exit handlers ran" in ran.stderr and "teardown" not in ran.stderr, ran.stderr
    for args in ([applied, "plan", "-parallelism=0"], [applied, "state", "list"]):
        ran = run(ENDING, *args)
        assert "exit handlers ran" in ran.stderr and "teardown" in ran.stderr, ran.stderr


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


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The quickstart applied (no changes to plan), not applied (everything to add), and with a state
    file that is not one."""
    base = tmp_path_factory.mktemp("plan-sites")
    made = {}
    for name in ("applied", "new", "bad-state"):
        d = made[name] = base / name
        shutil.copytree(ROOT / "examples" / "quickstart", d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    applied = run(CLI, "-C", str(made["applied"]), "apply", "-auto-approve")
    assert applied.returncode == 0, applied.stderr
    (made["bad-state"] / "imgb.state.json").write_text('{"version": 2, "serial": "many"}')
    return made


PLAN_LINES = [  # (site, command line, taken without the CLI framework)
    ("applied", ["plan"], True),
    ("applied", ["plan", "-detailed-exitcode"], True),
    ("applied", ["plan", "-json"], True),
    ("applied", ["-no-color", "plan", "-format=markdown", "-input=false"], True),
    ("applied", ["plan", "-refresh=false", "-lock=false", "-lock-timeout=5s", "-parallelism", "3"], True),
    ("applied", ["plan", "-var", "app_version=2.0.0", "-detailed-exitcode", "-detailed"], True),
    ("applied", ["plan", "-var=app_version=bad"], True),
    ("applied", ["plan", "-var-file=missing.imgbvars.hcl"], True),
    ("applied", ["plan", "-target=template.web", "-target", "component.hardening"], True),
    ("applied", ["plan", "-target=nope[["], True),
    ("applied", ["plan", "-replace=image.web", "-json"], True),
    ("applied", ["plan", "-destroy", "-detailed-exitcode"], True),
    ("applied", ["plan", "-refresh-only", "-detailed-exitcode"], True),
    ("applied", ["plan", "-out=saved.imgbplan"], True),
    ("applied", ["plan", "-out", "saved.imgbplan", "-json"], True),
    ("new", ["plan", "-detailed-exitcode"], True),
    ("new", ["plan", "-format", "json"], True),
    ("bad-state", ["plan"], True),
    # the CLI's: values it refuses, pairs, help, arguments, a missing directory
    ("applied", ["plan", "-parallelism=0"], False),
    ("applied", ["plan", "-parallelism=x"], False),
    ("applied", ["plan", "-format=yaml"], False),
    ("applied", ["plan", "-lock-timeout=soon"], False),
    ("applied", ["plan", "-refresh", "-refresh=false"], False),
    ("applied", ["plan", "-out", "-json"], False),
    ("applied", ["plan", "-out"], False),
    ("applied", ["plan", "-json", "-json"], False),
    ("applied", ["plan", "-help"], False),
    ("applied", ["plan", "extra"], False),
    ("applied", ["plan", "-bogus"], False),
    (None, ["-chdir=/nonexistent", "plan"], False),
]


@pytest.mark.parametrize(("site", "args", "fast"), PLAN_LINES, ids=[f"{s}: {' '.join(a)}" for s, a, _ in PLAN_LINES])
def test_plan_without_typer_prints_what_the_cli_prints(site: str | None, args: list[str], fast: bool, sites: dict[str, Path]) -> None:
    """A plain plan runs without the CLI framework, through the CLI's own plan body; anything
    unusual goes to the CLI before the plan starts. Output, exit code, the plan file it saves and
    the state it leaves are the CLI's, byte for byte."""
    line = [f"-chdir={sites[site]}", *args] if site else args
    results = []
    for code in (FRONT, CLI):
        state = sites[site] / "imgb.state.json" if site else None
        before = state.read_bytes() if state and state.exists() else None
        ran = run(code, *line)
        saved = sites[site] / "saved.imgbplan" if site else None
        plan_file = saved.read_bytes() if saved and saved.exists() else None
        if saved:
            saved.unlink(missing_ok=True)
        assert (state.read_bytes() if state and state.exists() else None) == before  # a plan never writes state
        results.append((ran.stdout, ran.stderr.replace("TYPER\n", ""), ran.returncode, plan_file, "TYPER" in ran.stderr))
    front, cli = results
    assert front[:4] == cli[:4]
    assert front[4] == (not fast), front[1]
    if "saved.imgbplan" in args or "-out=saved.imgbplan" in args:
        assert front[3] is not None
