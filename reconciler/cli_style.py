"""How imgb's commands present themselves, decided once for all of them: help written for people
(``--out FILE``, not ``--out <str>``; whole summaries in ``imgb --help``, never cut with "...") and
the table of every option's spellings that the front door rewrites command lines with
(``cli_argv``).

typer renders a parameter's Python type as its placeholder (``<list[str]>``, ``<int range>``) and
cuts command summaries to fit a line; the classes below keep typer's parsing and change only that.
"""

from __future__ import annotations

import re
from typing import Any

import typer
import typer.main
from typer.core import TyperArgument, TyperGroup, TyperOption


def command(app: typer.Typer) -> TyperGroup:
    """The click command tree of ``app``, styled for people."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    _style(group)
    return group


def walk(cmd: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group under ``cmd`` with its path (``("state", "rm")``), sorted."""
    out = [(path, cmd)]
    for name in sorted(getattr(cmd, "commands", {}) or {}):
        out += walk(cmd.commands[name], (*path, name))
    return out


def flag_table(group: TyperGroup) -> dict[str, tuple[dict[str, str], tuple[str, ...]]]:
    """Command path → (its options' spellings and kinds, its subcommands): ``cli_argv.Table``."""
    table: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {}
    for path, cmd in walk(group):
        options: dict[str, str] = {"help": "flag"}
        for p in cmd.params:
            if not isinstance(p, TyperOption):
                continue
            for opt in p.opts:
                key = opt[2:] if opt.startswith("--") else opt
                if not p.is_flag:
                    options[key] = "value"
                elif p.secondary_opts:
                    options[key] = f"flag:{p.secondary_opts[0][2:]}"
                else:
                    options[key] = "flag"
            for opt in p.secondary_opts:
                options[opt[2:]] = f"flag:{p.opts[-1][2:]}"
        table[" ".join(path)] = (dict(sorted(options.items())), tuple(sorted(getattr(cmd, "commands", {}) or {})))
    return table


_PLACEHOLDERS = {
    "chdir": "DIR", "allow_path": "DIR", "out": "FILE", "var": "NAME=VALUE", "var_file": "FILE",
    "target": "ADDRESS", "replace": "ADDRESS", "parallelism": "N", "lock_timeout": "DURATION",
    "generate_config_out": "FILE", "format_": "FORMAT", "build_arg": "NAME=VALUE", "from_local": "FILE",
    "to_local": "FILE", "planfile": "PLANFILE", "addresses": "ADDRESS",
}  # fmt: skip
"""Placeholders of the options many commands share; one a command declares (metavar) wins."""


def metavar(param: TyperOption | TyperArgument) -> str:
    """The placeholder of a parameter's value: the declared one, a shared one, or its name in capitals."""
    name = param.name or "value"
    return param.metavar or _PLACEHOLDERS.get(name) or name.strip("_").upper().replace("_", "-")


class _Option(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        return metavar(self)

    def _get_number_range_help_str(self) -> str | None:
        return None  # the option's description says it ("at least 1"), in words


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _rich_display_name(self) -> str:
        return metavar(self) + ("..." if self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        name = metavar(self) + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")


def summary(help_text: str) -> str:
    """The first sentence of a command's help: its line in the list of commands."""
    paragraph = " ".join(help_text.split("\n\n", 1)[0].split())
    return _SENTENCE.split(paragraph, 1)[0]


def _style(cmd: Any) -> None:
    for p in cmd.params:
        if type(p) is TyperOption:
            p.__class__ = _Option
        elif type(p) is TyperArgument:
            p.__class__ = _Argument
    if cmd.help and not cmd.short_help:
        cmd.short_help = summary(cmd.help)
    for sub in (getattr(cmd, "commands", {}) or {}).values():
        _style(sub)
