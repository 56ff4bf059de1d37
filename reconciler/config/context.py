"""What evaluating an expression may touch (``Context``: the loader's references and the files),
how it fails (``EvalError``), and what functions may ask of the evaluator (``Evaluating``).
``eval.py`` evaluates and calls ``functions.py``; both stand on this."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from imgb.diagnostics import Diagnostic, SourcePos, error
from imgb.reconciler.config import ast

RUN_STARTED = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
"""When this run started, as plantimestamp() gives it (RFC 3339, UTC, whole seconds)."""


class EvalError(Exception):
    def __init__(self, summary: str, detail: str, pos: SourcePos | None, static: bool = False):
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        self.pos = pos
        self.static = static
        """A mistake in the configuration's shape (an undeclared reference): ``can``/``try`` do not
        hide it."""

    def diagnostic(self, address: str | None = None) -> Diagnostic:
        return error(self.summary, self.detail, self.pos, address)


Resolver = Callable[[str, str, SourcePos], Any]


@dataclass
class Context:
    """What evaluation may touch besides the expression: the loader's references and the files."""

    directory: Path
    resolve: Resolver
    file_digests: dict[str, str] = field(default_factory=dict)
    files_read: dict[str, str] = field(default_factory=dict)
    """Text of files read, by relative path (content origins, repeated reads)."""
    template_vars: tuple[str, ...] | None = None
    """Inside templatefile(): the names it was given (the only bare names a template may use)."""
    volatile: list[tuple[str, SourcePos, str]] = field(default_factory=list)
    """Results of functions that change from run to run (timestamp, uuid, bcrypt...): (name, call, value)."""
    extra_functions: dict[str, Any] = field(default_factory=dict)
    """Functions only some callers offer (the console's type())."""
    plan_time: str | None = field(default_factory=lambda: RUN_STARTED)
    """What plantimestamp() returns: the time this run started; None (unknown) in the console."""


class Evaluating(Protocol):
    """What a function implementation may ask of the evaluator calling it."""

    ctx: Context

    def eval(self, expr: ast.Expr, frame: Mapping[str, Any] | None = None) -> Any: ...

    def template_parts(self, parts: tuple[ast.Expr, ...], frame: Mapping[str, Any]) -> Any: ...

    def with_context(self, ctx: Context) -> Evaluating: ...
