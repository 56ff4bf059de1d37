"""The options several commands declare alike (typer's declarations, for ``cli.py`` and
``cli_state.py``)."""

from __future__ import annotations

from typing import Annotated

import typer

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
