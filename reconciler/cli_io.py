"""The command line's side of every command: the directory it works in, the projects it opened,
the flags several commands share, printing, and leaving with an exit code. ``cli.py`` and
``cli_state.py`` build their commands on it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from imgb.reconciler.project import Project

DIR: dict[str, Path] = {"path": Path(".")}
"""The configuration directory (-C DIR)."""

PROJECTS: list[Project] = []
"""Projects this command opened: the debug log masks their sensitive values."""

VarOpt = Annotated[list[str] | None, typer.Option("--var", help="Set a variable: name=value (repeatable).")]
VarFileOpt = Annotated[list[str] | None, typer.Option("--var-file", help="Read variable values from a file.")]
LockTimeoutOpt = Annotated[str, typer.Option(
    "--lock-timeout", help="Wait this long for the state lock (30s, 5m, 1h, 500ms); 0s fails at once.")]
LockOpt = Annotated[bool, typer.Option(
    "--lock/--no-lock", help="Lock the state while the command runs (--lock=false: take no lock; only when nothing else can write it).")]
InputOpt = Annotated[bool, typer.Option(
    "--input/--no-input", help="Terraform's -input=false, for its scripts: imgb never asks for variable values (a missing "
    "one is an error), so there is nothing to turn off; apply still asks for its confirmation, as Terraform's does.")]
AutoApproveOpt = Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def fail(message: str) -> None:
    """Say what went wrong, in one sentence, and exit 1."""
    err(f"Error: {message}\n")
    raise Exit(1)


def show_diags(diags: Any, *, as_json: bool = False) -> None:
    from imgb.reconciler.views.diagnostics import render_human, render_json

    if not diags:
        return
    if as_json:
        out(render_json(diags))
    else:
        err(render_human(diags, str(DIR["path"])))


def dump(value: Any) -> None:
    from imgb.reconciler.project import dump_json

    out(dump_json(value))


def project(
    var: list[str] | None = None, var_file: list[str] | None = None, *, lock: bool = True, lock_timeout: str = "0s"
) -> Project:
    """The configuration in the working directory, with the command's variables and state locking."""
    from imgb.reconciler.project import Project, VarInputs

    opened = Project(DIR["path"], VarInputs(tuple(var or ()), tuple(var_file or ())), lock=lock, lock_timeout=parse_lock_timeout(lock_timeout))
    PROJECTS.append(opened)
    return opened


def parse_lock_timeout(text: str) -> float:
    """--lock-timeout: 30s, 5m, 1h, 500ms or plain seconds."""
    text = text.strip()
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for u in ("ms", "s", "m", "h"):
        if text.endswith(u) and text[: -len(u)].replace(".", "", 1).isdigit():
            return float(text[: -len(u)]) * units[u]
    if text.replace(".", "", 1).isdigit():
        return float(text)
    fail(f'invalid --lock-timeout "{text}"; use a duration such as 30s or 5m.')
    return 0.0
