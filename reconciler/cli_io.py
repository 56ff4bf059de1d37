"""The command line's side of every command: the directory it works in, the projects it opened,
printing, and leaving with an exit code (``outcome``: every way a command can end, in one place).
``cli.py`` and ``cli_state.py`` build their commands on it; so does the front door's fast path
(``cli_fast``), which is why nothing here imports the CLI framework (its option declarations are
in ``cli_options``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imgb.reconciler.project import Project

DIR: dict[str, Path] = {"path": Path(".")}
"""The configuration directory (-C DIR)."""

PROJECTS: list[Project] = []
"""Projects this command opened: the debug log masks their sensitive values."""


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
    seconds = lock_timeout_seconds(text)
    if seconds is None:
        fail(f'invalid --lock-timeout "{text.strip()}"; use a duration such as 30s or 5m.')
        return 0.0
    return seconds


def lock_timeout_seconds(text: str) -> float | None:
    """The seconds of a --lock-timeout value, None when it is not one."""
    text = text.strip()
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for u in ("ms", "s", "m", "h"):
        if text.endswith(u) and text[: -len(u)].replace(".", "", 1).isdigit():
            return float(text[: -len(u)]) * units[u]
    if text.replace(".", "", 1).isdigit():
        return float(text)
    return None


def outcome(body: Callable[[], int], other: Callable[[Exception], int | None] | None = None) -> int:
    """The exit code of a command's ``body``, however it ends: ``Exit``, a diagnostic, Ctrl-C, or an
    exception (``other`` may claim one, the CLI framework's own; anything else is a bug, written
    to the debug log)."""
    from imgb.diagnostics import DiagnosticError

    try:
        return body()
    except Exit as e:
        return e.code
    except DiagnosticError as e:
        show_diags(e.diagnostics)
        return 1
    except KeyboardInterrupt:
        err("\nInterrupted.\n")
        return 130
    except SystemExit as e:
        return int(e.code or 0)
    except Exception as e:
        code = other(e) if other is not None else None
        return code if code is not None else internal_error(e)


def internal_error(e: BaseException) -> int:
    from imgb.reconciler.errors import explain_exception, write_debug_log

    known = explain_exception(e)
    if known is not None:
        err(known)
        return 1
    log = write_debug_log(e, [s for project in PROJECTS for s in project.secrets()])
    where = f" The details are in {log}." if log else ""
    err(f"Error: internal error in imgb ({type(e).__name__}).{where} Please report it as a bug.\n")
    return 1
