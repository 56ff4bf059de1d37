"""``imgb validate`` and ``imgb plan`` without the CLI framework: the commands most often run on
small configurations, taken by the front door (``launch``) when their command line is a plain one.

Loading typer (and the pydantic adapters it builds for every parameter) costs several times a
whole ``terraform validate``. The command line is read here with the table the front door already
has (``cli_help.FLAGS``, in the spellings ``cli_argv.normalize`` leaves); whatever this does not
take exactly — another command, ``--help``, an option it does not know, a repeated one, both
spellings of a pair, a value that is not one (``--parallelism 0``, ``--format yaml``), a
directory that does not exist — goes to the CLI unchanged (``None``), which then does
everything itself, so each message and exit code stays the CLI's. That decision is made before
the command does anything: validate only reads (an exception in it also goes to the CLI, which
runs it again), but plan takes the state lock and may write a plan file, so once it starts it
ends here, through the same body (``cli_plan.plan_command``) and the same exit-code mapping
(``cli_io.outcome``) as the CLI's.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_GLOBAL = {"chdir", "-C", "no-color", "allow-path", "allow-network"}
_REPEATABLE = {"var", "var-file", "allow-path", "target", "replace"}
_TAKES = {
    "validate": {"json", "var", "var-file"},
    "plan": {"out", "json", "format", "detailed-exitcode", "target", "replace", "destroy", "refresh-only", "refresh",
             "no-refresh", "detailed", "var", "var-file", "parallelism", "lock", "no-lock", "lock-timeout", "input",
             "no-input"},
}


def parse(args: Sequence[str]) -> tuple[str, dict[str, list[str]]] | None:
    """(command, {option: values}) for a command line the fast path takes, else None. ``args`` are
    normalized (``cli_argv.normalize``): global options first, every option as ``--name``,
    ``--name=value`` or ``--name value`` (``-C DIR`` for the short one)."""
    from imgb.reconciler.cli_help import FLAGS

    command = None
    options: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            if command is not None or arg not in _TAKES:
                return None  # a positional argument, or a command this does not take
            command = arg
            continue
        value: str | None = None
        if arg == "-C":
            name = "chdir"
        elif arg.startswith("--") and len(arg) > 2:
            name, eq, text = arg[2:].partition("=")
            value = text if eq else None
        else:
            return None
        kind = FLAGS[command or ""][0].get(name)
        if name not in (_GLOBAL if command is None else _TAKES[command]) or kind is None:
            return None
        if kind == "value" and value is None:
            if i == len(args) or args[i].startswith("-"):
                return None  # the CLI framework's reading of a value that looks like an option is its own
            value = args[i]
            i += 1
        elif kind != "value":
            if value is not None:
                return None
            value = ""
        if name in options and name not in _REPEATABLE or value is None:
            return None
        if kind.startswith("flag:") and kind[5:] in options:
            return None  # both spellings of a pair (--refresh --no-refresh): the CLI's to settle
        options.setdefault(name, []).append(value)
    if command is None:
        return None
    return command, options


def run(args: Sequence[str]) -> int | None:
    """The exit code of the command, or None: the CLI must run it."""
    parsed = parse(args)
    if parsed is None:
        return None
    command, options = parsed
    from imgb.reconciler.config import store_behind

    store_behind.enable()  # both commands parse the configuration
    if command == "plan":
        return _plan(options)
    gc.disable()  # as the CLI does for its own process: nothing built here is garbage before exit
    cwd = os.getcwd()
    saved = {k: os.environ.get(k) for k in ("IMGB_ALLOW_PATHS", "IMGB_ALLOW_NETWORK", "NO_COLOR")}
    try:
        directory = Path(".")
        if "chdir" in options:
            target = Path(options["chdir"][0])
            if not target.is_dir():
                return None
            directory = target.resolve()
            os.chdir(target)
        _operator(options)
        try:
            output = validate_command(directory, "json" in options, options.get("var", []), options.get("var-file", []))
        except KeyboardInterrupt:
            sys.stderr.write("\nInterrupted.\n")
            return 130
        except Exception:
            return None  # the CLI runs it again and reports this its own way
    finally:
        os.chdir(cwd)
        _restore(saved)
    code, stdout, stderr = output
    if stderr:
        sys.stderr.write(stderr)
        sys.stderr.flush()
    if stdout:
        sys.stdout.write(stdout)
        sys.stdout.flush()
    return code


def _operator(options: dict[str, list[str]]) -> None:
    """The global options that travel in the environment, as the CLI's root callback sets them."""
    from imgb.fsops import ALLOW_NETWORK_ENV, ALLOW_PATHS_ENV

    if "allow-path" in options:
        old = os.environ.get(ALLOW_PATHS_ENV, "")
        paths = [*(p for p in old.split(":") if p), *map(os.path.abspath, options["allow-path"])]
        os.environ[ALLOW_PATHS_ENV] = ":".join(paths)
    if "allow-network" in options:
        os.environ[ALLOW_NETWORK_ENV] = "1"
    if "no-color" in options:
        os.environ["NO_COLOR"] = "1"


def _restore(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def validate_command(directory: Path, as_json: bool, var: list[str], var_file: list[str]) -> tuple[int, str, str]:
    """``imgb validate``: (exit code, standard output, standard error); the CLI's command prints the
    same, so the two paths cannot drift apart."""
    from imgb.reconciler.validate import validate_directory
    from imgb.reconciler.views.diagnostics import render_human, render_json

    _, diags = validate_directory(
        directory, var_args=var, var_files=var_file, env=os.environ, unknown_variables=True
    )
    code = 1 if diags.has_errors() else 0
    if as_json:
        return code, render_json(diags), ""
    stderr = render_human(diags, str(directory)) if diags else ""
    return code, "" if code else "Success! The configuration is valid.\n", stderr


def plan_arguments(options: dict[str, list[str]]) -> dict[str, Any] | None:
    """``cli_plan.plan_command``'s arguments for the options of a plain ``imgb plan``, or None when a
    value is one the CLI would refuse (it then says so itself)."""
    from imgb.reconciler.cli_io import lock_timeout_seconds
    from imgb.reconciler.cli_plan import FORMATS

    def one(name: str, default: str) -> str:
        return options[name][0] if name in options else default

    format_ = one("format", "human")
    parallelism = one("parallelism", "10")
    lock_timeout = one("lock-timeout", "0s")
    if "json" not in options and format_ not in FORMATS or not _count(parallelism):
        return None
    if lock_timeout_seconds(lock_timeout) is None:
        return None
    return {
        "out": options["out"][0] if "out" in options else None,
        "json_": "json" in options,
        "format_": format_,
        "detailed_exitcode": "detailed-exitcode" in options,
        "target": options.get("target"),
        "replace": options.get("replace"),
        "destroy": "destroy" in options,
        "refresh_only": "refresh-only" in options,
        "refresh": "no-refresh" not in options,
        "detailed": "detailed" in options,
        "var": options.get("var"),
        "var_file": options.get("var-file"),
        "parallelism": int(parallelism),
        "lock": "no-lock" not in options,
        "lock_timeout": lock_timeout,
    }


def _count(text: str) -> bool:
    """A whole number of at least 1 written plainly (the CLI reads any other spelling its own way)."""
    return text.isascii() and text.isdigit() and text[0] != "0" and len(text) < 10


def _plan(options: dict[str, list[str]]) -> int | None:
    from imgb.reconciler import cli_io as io
    from imgb.reconciler.cli_plan import plan_command

    arguments = plan_arguments(options)
    if arguments is None:
        return None
    target = Path(options["chdir"][0]) if "chdir" in options else None
    if target is not None and not target.is_dir():
        return None
    gc.disable()  # as the CLI does for its own process
    io.PROJECTS.clear()
    cwd = os.getcwd()
    saved = {k: os.environ.get(k) for k in ("IMGB_ALLOW_PATHS", "IMGB_ALLOW_NETWORK", "NO_COLOR")}
    try:
        _operator(options)
        if target is not None:  # as the CLI's root callback: relative paths on the command line are then in DIR
            io.DIR["path"] = target.resolve()
            os.chdir(target)

        def body() -> int:
            plan_command(**arguments)
            return 0

        return io.outcome(body, _framework_error)
    finally:
        io.DIR["path"] = Path(".")
        os.chdir(cwd)
        _restore(saved)


def _framework_error(e: Exception) -> int | None:
    """What the CLI framework makes of the exceptions it handles itself (typer's ``core._main``):
    end of input is an abort, a closed pipe exits 1 quietly."""
    from imgb.reconciler import cli_io as io

    if isinstance(e, EOFError):
        io.err("\n")
        io.err("Aborted.\n")
        return 1
    if isinstance(e, OSError) and e.errno == errno.EPIPE:
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = PacifyFlushWrapper(sys.stdout)
        sys.stderr = PacifyFlushWrapper(sys.stderr)
        return 1
    return None
