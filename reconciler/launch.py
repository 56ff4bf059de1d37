"""The ``imgb`` command's front door: the command line rewritten into the spellings the CLI declares
(``cli_argv``: Terraform's one-dash flags), ``imgb version`` and ``imgb --help`` answered before the
CLI framework loads, a plain ``imgb validate`` run without it (``cli_fast``), everything else
handed to ``imgb.reconciler.cli``.

Importing typer (which builds pydantic adapters for parameters) costs more than a whole
``terraform version``; these two commands need none of it. The help text is typer's own,
rendered ahead of time into ``cli_help`` (tests/e2e/test_launch.py checks it is current:
regenerate with ``python -m imgb.reconciler.launch --write-help``). It is used where typer
would print exactly it: a terminal of 80 columns or more (typer wraps at 78 there), or output
that is not a terminal.
"""

from __future__ import annotations

import atexit
import os
import sys

TYPE_CHECKING = False  # not typing's: imgb version and --help answer before anything imports typing
if TYPE_CHECKING:
    from typing import NoReturn


def main() -> int:
    from imgb.reconciler.cli_argv import normalize

    args = normalize(sys.argv[1:])
    if args in (["version"], ["--version"]):
        from imgb import __version__

        sys.stdout.write(f"imgb v{__version__}\n")
        return 0
    if args == ["--help"] and _columns() >= 80:
        from imgb.reconciler.cli_help import TEXT

        sys.stdout.write(TEXT)
        return 0
    from imgb import dataclass_code, regex_code
    from imgb.deferred import defer

    defer()  # before anything imports them: inspect, copy, ipaddress load when used
    regex_code.install()  # before the first pattern: programs from the cache, not compiled again
    dataclass_code.install()  # before the first dataclass: their methods' code from the cache, not compiled again
    from imgb.reconciler.cli_fast import run

    code = run(args)
    if code is not None:
        _FAST.append(code)
        return code
    from imgb.reconciler.cli import main as cli_main

    return cli_main()


_FAST: list[int] = []
"""The exit code of a command ``cli_fast`` ran, once it has."""


def entry() -> NoReturn:
    """The ``imgb`` script: ``main``, and for a command ``cli_fast`` ran (validate, plan), the end of
    the process without the interpreter's teardown. Freeing every module and object at exit cost
    such a command 6-12 ms, a tenth of it, for nothing: exit handlers still run (the dataclass code
    cache, weakref finalizers) and standard streams are flushed first. With another thread alive,
    or anything unusual, the process ends the ordinary way."""
    code = main()
    if _FAST and _quiet():
        run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
        if run_exitfuncs is not None:
            run_exitfuncs()
            if _flushed():
                os._exit(code)
            os._exit(120)  # as Python's own exit does when flushing the standard streams fails
    sys.exit(code)


def _quiet() -> bool:
    """Nothing else running, nothing left unwritten."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    return _flushed()


def _flushed() -> bool:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return False
    return True


def _columns() -> int:
    """``shutil.get_terminal_size().columns``, which the help formatter reads, without shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def render_help() -> str:
    """``imgb --help`` as the CLI prints it, at 80 columns."""
    import contextlib
    import io

    from imgb.reconciler.cli import main as cli_main

    out = io.StringIO()
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    try:
        with contextlib.redirect_stdout(out):
            cli_main(["--help"])
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return out.getvalue()


def render_flags() -> str:
    """``cli_help.FLAGS``: every command's options and subcommands, for ``cli_argv``."""
    import pprint

    from imgb.reconciler.cli import app
    from imgb.reconciler.cli_style import command, flag_table

    return pprint.pformat(flag_table(command(app)), width=120, sort_dicts=False)


if __name__ == "__main__" and sys.argv[1:] == ["--write-help"]:
    from pathlib import Path

    target = Path(__file__).with_name("cli_help.py")
    target.write_text(
        '"""``imgb --help`` and the options of every command, rendered ahead of time for the front door\n'
        "(``launch``, ``cli_argv``).\n\n"
        'Generated by ``python -m imgb.reconciler.launch --write-help``; tests/e2e/test_launch.py checks it."""\n\n'
        "# fmt: off\n"
        f"TEXT = {render_help()!r}\n\n"
        f"FLAGS = {render_flags()}\n"
    )
