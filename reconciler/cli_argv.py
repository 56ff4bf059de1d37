"""Terraform's spellings of imgb's flags, rewritten into the ones the CLI declares, in one pass over
the command line, from one table.

The table (``cli_help.FLAGS``) is generated from the options the commands declare
(``python -m imgb.reconciler.launch --write-help``; tests/e2e/test_launch.py checks it is current),
so a new option gets every spelling without a line here, and the front door can rewrite a command
line without loading the CLI framework. What it accepts, for every command:

* ``-name`` as well as ``--name`` for every long option, with ``=VALUE`` or the value as the next
  argument (Terraform's ``-out=FILE``, ``-var k=v``, ``-lock-timeout 5s``);
* ``-name=true`` / ``-name=false`` for a flag, as Go's flag package reads booleans: false drops a
  plain flag and picks the opposite spelling of a pair (``-refresh=false`` is ``--no-refresh``,
  ``-lock=false`` is ``--no-lock``);
* the global options (``-chdir=DIR``, ``-no-color``, ...) after the command too; they are moved in
  front of it;
* ``-version`` / ``--version`` before any command.

Anything else is left as typed, so the CLI reports an unknown option itself (as ``--name``, with
its did-you-mean).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Kind = str
"""``value`` (takes a value), ``flag``, or ``flag:OTHER`` (a flag whose opposite spelling is ``--OTHER``)."""

Table = Mapping[str, tuple[Mapping[str, Kind], Sequence[str]]]
"""Command path (``""``, ``"plan"``, ``"state rm"``) → (its options, its subcommands). Long options
are keyed by name without dashes, short ones with their dash (``-C``)."""

_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})
"""strconv.ParseBool, which Terraform's flags use."""


def normalize(argv: Sequence[str], table: Table | None = None) -> list[str]:
    """The command line with every option in the spelling the CLI declares; ``table`` is the CLI's
    (``cli_style.flag_table``), or the front door's copy of it."""
    if table is None:
        from imgb.reconciler.cli_help import FLAGS

        table = FLAGS
    root_options = table[""][0]
    head: list[str] = []  # the global options, in front of the command
    tail: list[str] = []  # the command, its subcommands, their options and arguments
    path = ""
    commands = table[""][1]
    positional = False  # past the first argument that is not a subcommand
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        out = tail if path else head
        if arg == "--":
            out.extend(args[i - 1 :])
            break
        if not arg.startswith("-") or arg == "-":
            if not positional and arg in commands:
                path = f"{path} {arg}".strip()
                commands = table[path][1] if path in table else ()
            else:
                positional = True
            tail.append(arg) if path or positional else head.append(arg)
            continue
        options = table[path][0] if path in table else {}
        spelled, takes_value = _spell(arg, options)
        if spelled is None and path:
            spelled, takes_value = _spell(arg, root_options)
            if spelled is not None:
                out = head  # a global option after the command: Terraform habits put -no-color anywhere
        if spelled is None:
            short = arg[:2] in options or arg[:2] in root_options
            # an unknown -name: the CLI says "No such option: --name" and suggests the right one
            out.append("-" + arg if len(arg) > 2 and not arg.startswith("--") and not short else arg)
            continue
        if spelled:
            out.append(spelled)
        if takes_value and i < len(args):
            out.append(args[i])
            i += 1
    return head + tail


def _spell(arg: str, options: Mapping[str, Kind]) -> tuple[str | None, bool]:
    """(the declared spelling of ``arg``, whether the next argument is its value): ``None`` when
    ``arg`` is none of ``options``; ``""`` for a flag set to false that has no opposite spelling."""
    name, eq, value = arg.lstrip("-").partition("=")
    if arg.startswith("---") or name not in options:
        if not arg.startswith("--") and arg[:2] in options:  # a short option: -C DIR, -CDIR, -v
            return arg, options[arg[:2]] == "value" and len(arg) == 2
        return None, False
    kind = options[name]
    if kind == "value":
        return (f"--{name}={value}" if eq else f"--{name}"), not eq
    if not eq or value in _TRUE:
        return f"--{name}", False
    if value in _FALSE:
        return (f"--{kind.partition(':')[2]}" if ":" in kind else ""), False
    return arg if arg.startswith("--") else "-" + arg, False  # the CLI says a flag takes no value
