"""docs/language.md cannot fall behind the code: every function of the loader (with an example that
evaluates to what the page says), every block and attribute of the schema, and every CLI command
and flag of the typer app appear in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from imgb.diagnostics import SourcePos
from imgb.plugins import backend_types, provider_types
from imgb.reconciler.cli import app
from imgb.reconciler.config.eval import Context, EvalError, Evaluator
from imgb.reconciler.config.functions import FUNCTIONS
from imgb.reconciler.config.hcl import parse_expression
from imgb.reconciler.config.schema import TOP, BlockSpec, backend_spec, provider_spec
from tests.docs.fences import ROOT

LANGUAGE = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
# | `name(params)` | what it does | `EXPR` → `RESULT` |
_ROW_RE = re.compile(r"^\| `(?P<name>[a-z0-9]+)\((?P<params>[^`]*)\)` \|(?P<rest>.*)\|\s*$", re.MULTILINE)
_EXAMPLE_RE = re.compile(r"`(?P<expr>[^`]+)` → `(?P<result>[^`]+)`")


def _function_rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for m in _ROW_RE.finditer(LANGUAGE):
        rows.setdefault(m.group("name"), m.group("rest"))
    return rows


ROWS = _function_rows()


def _no_refs(root: str, name: str, pos: SourcePos) -> Any:
    raise EvalError("Invalid reference", f"{root}.{name} is not available in a function example", pos, True)


def _evaluate(text: str, directory: Path) -> Any:
    return Evaluator(Context(directory, _no_refs)).eval(parse_expression(text, "docs/language.md"))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_is_documented_with_an_example(name: str, tmp_path: Path) -> None:
    assert name in ROWS, f'function {name}() is missing from the function tables of docs/language.md'
    example = _EXAMPLE_RE.search(ROWS[name])
    assert example, f"the row of {name}() in docs/language.md has no `EXPR` → `RESULT` example"
    assert re.search(rf"\b{name}\(", example.group("expr")), f"the example of {name}() does not call it"
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "motd.txt").write_text("Welcome\n")
    (tmp_path / "files" / "motd.tpl").write_text("Welcome to ${host}\n")
    got = _evaluate(example.group("expr"), tmp_path)
    want = _evaluate(example.group("result"), tmp_path)
    assert got == want, f"{example.group('expr')} evaluates to {got!r}, not {want!r} as docs/language.md says"


def test_documented_functions_exist() -> None:
    unknown = sorted(set(ROWS) - set(FUNCTIONS))
    assert not unknown, f"docs/language.md documents functions the loader does not have: {unknown}"


def _spec(spec: BlockSpec | None) -> BlockSpec:
    assert spec is not None
    return spec


def _attributes() -> list[tuple[str, str]]:
    out = [(block, attr) for block, spec in TOP.items() for attr in spec.attrs]
    out += [(block, nested) for block, spec in TOP.items() for nested in spec.blocks]
    # imgb's own backends and providers (a test-only package may register more: not documented here)
    out += [(f'backend "{b}"', attr) for b in backend_types(own=True) for attr in _spec(backend_spec(b)).attrs]
    out += [(f'provider "{p}"', attr) for p in provider_types(own=True) for attr in _spec(provider_spec(p, {})).attrs]
    return out


@pytest.mark.parametrize(("block", "attr"), _attributes(), ids=[f"{b}.{a}" for b, a in _attributes()])
def test_every_block_and_attribute_is_documented(block: str, attr: str) -> None:
    section = "imgb" if block.startswith("backend") else block.split()[0]  # backends are nested in imgb
    assert f"### {section}" in LANGUAGE, f"docs/language.md has no section for {block} blocks"
    assert f"`{attr}`" in LANGUAGE, f"attribute {attr} of {block} blocks is missing from docs/language.md"


def _commands() -> list[tuple[str, list[str]]]:
    """(``imgb state list``, [its flags]) for every command of the typer app."""
    out: list[tuple[str, list[str]]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        subcommands = getattr(cmd, "commands", None)
        if subcommands:
            for name in sorted(subcommands):
                walk(subcommands[name], [*path, name])
            return
        flags = [o for p in cmd.params if p.param_type_name == "option" for o in (*p.opts, *p.secondary_opts)]
        out.append((" ".join(path), sorted(f for f in flags if f.startswith("--") and f != "--help")))

    walk(typer.main.get_command(app), ["imgb"])
    return out


COMMANDS = _commands()


def test_the_cli_has_commands() -> None:
    assert len(COMMANDS) >= 25


@pytest.mark.parametrize(("command", "flags"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_every_command_and_flag_is_documented(command: str, flags: list[str]) -> None:
    assert f"`{command}" in LANGUAGE or f"**`{command}" in LANGUAGE, f"{command} is missing from docs/language.md"
    missing = [f for f in flags if f not in LANGUAGE]
    assert not missing, f"flags of {command} missing from docs/language.md: {missing}"
