"""``imgb console``: evaluate expressions against the configuration and the state, as
``terraform console`` does. Interactive with a terminal (a ``> `` prompt, ``exit`` or Ctrl-D to
leave); from a pipe, every line is evaluated, only the last result is printed, and the first error
ends the run with exit code 1, as Terraform's console does. Values print as Terraform prints them
(``tolist([...])``, heredocs for multi-line strings, ``(sensitive value)``, ``(known after apply)``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from imgb.diagnostics import Diagnostics, SourcePos
from imgb.reconciler.config.marks import Marked
from imgb.reconciler.config.numbers import format_number, is_number
from imgb.reconciler.config.text import go_quote
from imgb.reconciler.config.types import Type
from imgb.reconciler.config.values import ListV, MapV, Null, SetV
from imgb.unknown import Unknown, has_markers

HELP = """The imgb console evaluates expressions against the configuration and the state: variables,
locals, components, templates and distributions, with ids from the state where they exist.

Type an expression and press enter to see its value. type(EXPR) shows a value's type.

To leave, type "exit" and press enter, or press Control-D."""


# -- values as Terraform's console prints them -----------------------------------------------------


def format_value(v: Any, indent: int = 0) -> str:
    if isinstance(v, Unknown):
        return "(known after apply)"
    if isinstance(v, Marked):
        return "(sensitive value)"
    if isinstance(v, TypeValue):
        return format_type(v.type, indent)
    if v is None:
        return "null"
    if isinstance(v, Null):
        t = v.ty
        if t.kind == "string":
            return "tostring(null)"
        if t.kind == "number":
            return "tonumber(null)"
        if t.kind == "bool":
            return "tobool(null)"
        if t.kind in ("list", "set", "map"):
            assert t.elem is not None
            fn = {"list": "tolist", "set": "toset", "map": "tomap"}[t.kind]
            return f"{fn}(null) /* of {t.elem.friendly()} */"
        return f"null /* {t.friendly()} */"
    if isinstance(v, str):
        if has_markers(v):
            return "(known after apply)"
        lines = v.split("\n")
        if len(lines) >= 2:
            return _heredoc(lines, indent)
        return go_quote(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_number(v):
        return format_number(v)
    if isinstance(v, ListV):
        return f"tolist({_sequence(v, indent)})"
    if isinstance(v, SetV):
        return f"toset({_sequence(v, indent)})"
    if isinstance(v, MapV):
        return f"tomap({_mapping(v, indent)})"
    if isinstance(v, list):
        return _sequence(v, indent)
    if isinstance(v, dict):
        return _mapping(v, indent)
    return repr(v)  # pragma: no cover


def _heredoc(lines: list[str], indent: int) -> str:
    op = "<<-" if indent > 0 else "<<"
    delim = "EOT"
    while any(line.strip() == delim for line in lines):
        delim += "_"
    pad = " " * indent
    return op + delim + "".join("\n" + pad + line for line in lines) + "\n" + pad + delim


def _sequence(v: list[Any], indent: int) -> str:
    if not v:
        return "[]"
    pad = " " * (indent + 2)
    body = "".join(f"\n{pad}{format_value(x, indent + 2)}," for x in v)
    return "[" + body + "\n" + " " * indent + "]"


def _mapping(v: dict[str, Any], indent: int) -> str:
    if not v:
        return "{}"
    pad = " " * (indent + 2)
    body = "".join(f"\n{pad}{format_value(k, indent + 2)} = {format_value(v[k], indent + 2)}" for k in sorted(v))
    return "{" + body + "\n" + " " * indent + "}"


class TypeValue:
    """What the console's type() returns: a type, printed as a type constraint."""

    def __init__(self, t: Type):
        self.type = t


def format_type(t: Type, indent: int = 0) -> str:
    k = t.kind
    if k in ("string", "number", "bool"):
        return k
    if k == "any":
        return "dynamic"
    if k in ("list", "set", "map"):
        assert t.elem is not None
        return f"{k}({format_type(t.elem, indent)})"
    pad = " " * (indent + 4)
    if k == "tuple":
        if not t.items:
            return "tuple([])"
        body = "".join(f"\n{pad}{format_type(i, indent + 4)}," for i in t.items)
        return "tuple([" + body + "\n" + " " * indent + "])"
    if not t.attrs:
        return "object({})"
    body = "".join(f"\n{pad}{name}: {format_type(a, indent + 4)}," for name, a, _ in t.attrs)
    return "object({" + body + "\n" + " " * indent + "})"


def _type_function() -> Any:
    from imgb.reconciler.config.functions import Call, Func, Param
    from imgb.reconciler.config.values import type_of

    def impl(c: Call, a: list[Any]) -> Any:
        from imgb.reconciler.config.marks import strip

        return TypeValue(type_of(strip(a[0])))

    return Func(impl, (Param("value", allow_null=True, allow_unknown=True),), nested_unknown=True, marks="own")


# -- sessions --------------------------------------------------------------------------------------


class Session:
    """Evaluates console lines in a loaded configuration's scope."""

    def __init__(self, scope: Any):
        self.scope = scope

    def handle(self, line: str) -> tuple[str, bool, Diagnostics]:
        """(output, exit requested, diagnostics) for one line."""
        text = line.strip()
        if text == "":
            return "", False, Diagnostics()
        if text == "exit":
            return "", True, Diagnostics()
        if text == "help":
            return HELP, False, Diagnostics()
        return self.evaluate(line)

    def evaluate(self, line: str) -> tuple[str, bool, Diagnostics]:
        from imgb.reconciler.config.eval import EvalError
        from imgb.reconciler.config.hcl import SyntaxProblem, parse_expression

        diags = Diagnostics()
        try:
            expr = parse_expression(line, "<console-input>")
            value = self.scope.evaluate(expr)
        except SyntaxProblem as p:
            diags.add(p.diag)
            return "", False, diags
        except EvalError as exc:
            diags.add(exc.diagnostic())
            return "", False, diags
        for d in self.scope.take_diagnostics():
            diags.add(d)
        if diags.has_errors():
            return "", False, diags
        return format_value(value), False, diags


def open_session(
    directory: str | Path,
    *,
    var_args: Sequence[str] = (),
    var_files: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    known: Mapping[str, Any] | None = None,
) -> tuple[Session | None, Diagnostics]:
    from imgb.reconciler.config.load import load_scope

    scope, diags = load_scope(
        directory, var_args=var_args, var_files=var_files, env=env, known=known,
        extra_functions={"type": _type_function()},
    )  # fmt: skip
    return (Session(scope) if scope is not None else None), diags


def run(
    session: Session,
    stdin: TextIO,
    out: TextIO,
    show_diagnostics: Any,
    interactive: bool | None = None,
) -> int:
    """Read lines until exit or end of input; returns the exit code."""
    interactive = stdin.isatty() if interactive is None else interactive
    if not interactive:
        last = ""
        for raw in stdin:
            result, leave, diags = session.handle(raw.rstrip("\n"))
            if diags.has_errors():
                show_diagnostics(diags)
                return 1
            if diags:
                show_diagnostics(diags)
            if leave:
                return 0
            last = result
        out.write(last + "\n")
        return 0
    while True:
        try:
            out.write("> ")
            out.flush()
            raw = stdin.readline()
        except KeyboardInterrupt:
            out.write("\n")
            return 0
        if raw == "":
            out.write("\n")
            return 0
        result, leave, diags = session.handle(raw.rstrip("\n"))
        if diags:
            show_diagnostics(diags)
        if leave:
            return 0
        if result:
            out.write(result + "\n\n" if "\n" in result else result + "\n")


def console_pos(line: int = 1) -> SourcePos:
    return SourcePos("<console-input>", line)


__all__ = ["Session", "format_type", "format_value", "open_session", "run", "sys"]
