"""imgb's own syntax tree for HCL: plain frozen dataclasses, every node with its ``SourcePos``.

Only ``hcl`` knows the parser's tree; everything else (evaluation, the cache, outputs evaluated
after apply) works on these nodes, so they must stay picklable and free of parser objects.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from typing import Literal as TypingLiteral

from imgb.diagnostics import SourcePos

AST_VERSION = "3"
"""Bump when node shapes change: parsed-file caches keyed on it are then ignored."""


@dataclass(frozen=True)
class Node:
    """Every node: where it starts in its file."""

    pos: SourcePos


@dataclass(frozen=True)
class Expr(Node):
    """An expression."""


@dataclass(frozen=True)
class LiteralValue(Expr):
    """A literal: a number, a bool, null, or the text of a template part."""

    value: Any
    """str, bool, None, or a number (int, numbers.Num)."""


@dataclass(frozen=True)
class TemplateExpr(Expr):
    """A quoted string or heredoc: literal text (``LiteralValue`` of str) and interpolations."""

    parts: tuple[Expr, ...]
    kind: TypingLiteral["quoted", "heredoc"] = "quoted"
    body_line: int = 0
    """heredoc: the line of the body's first line (the one after ``<<EOT``)."""
    wrap: bool = False
    """A template that is one interpolation and nothing else (``"${x}"``): its value is the
    interpolated value itself, of any type, as HCL's ``TemplateWrapExpr``."""


@dataclass(frozen=True)
class TemplateIf(Expr):
    """``%{ if cond }...%{ else }...%{ endif }`` inside a template."""

    cond: Expr
    then: tuple[Expr, ...]
    otherwise: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class TemplateFor(Expr):
    """``%{ for k, v in collection }...%{ endfor }`` inside a template."""

    key_var: str | None
    value_var: str
    collection: Expr
    body: tuple[Expr, ...]


@dataclass(frozen=True)
class Variable(Expr):
    """A bare name: the root of a traversal (``var``, ``local``, ``each``) or a for/template variable."""

    name: str


@dataclass(frozen=True)
class GetAttr(Expr):
    """``obj.name``."""

    obj: Expr
    name: str


@dataclass(frozen=True)
class Index(Expr):
    """``obj[key]`` (also ``obj.0``, the legacy index)."""

    obj: Expr
    key: Expr


@dataclass(frozen=True)
class SplatItem(Expr):
    """The current element inside a splat's ``each`` expression."""


@dataclass(frozen=True)
class Splat(Expr):
    """``source[*].…`` and ``source.*.…``: ``each`` applied to every element."""

    source: Expr
    each: Expr
    """Evaluated per element with ``SplatItem`` bound to it."""


@dataclass(frozen=True)
class FunctionCall(Expr):
    """``name(args...)``; ``expand_final`` for a last argument written ``args...``."""

    name: str
    args: tuple[Expr, ...]
    expand_final: bool = False


@dataclass(frozen=True)
class Conditional(Expr):
    """``cond ? true : false``."""

    cond: Expr
    true: Expr
    false: Expr


@dataclass(frozen=True)
class BinaryOp(Expr):
    """``left op right``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class UnaryOp(Expr):
    """``-operand`` or ``!operand``."""

    op: str
    operand: Expr


@dataclass(frozen=True)
class TupleExpr(Expr):
    """``[items...]``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class ObjectItem(Node):
    """One ``key = value`` (or ``key: value``) of an object."""

    key: Expr
    """A bare identifier key is a ``LiteralValue`` string; ``(expr)`` keys are expressions."""
    value: Expr


@dataclass(frozen=True)
class ObjectExpr(Expr):
    """``{ key = value, ... }``."""

    items: tuple[ObjectItem, ...]


@dataclass(frozen=True)
class ForExpr(Expr):
    """``[for ...]`` and ``{for ... => ...}``, with the ``if`` filter and ``...`` grouping."""

    key_var: str | None
    value_var: str
    collection: Expr
    key_expr: Expr | None
    """None for a tuple ``[for ...]``; the ``k =>`` part of an object ``{for ...}``."""
    value_expr: Expr
    cond: Expr | None = None
    group: bool = False


@dataclass(frozen=True)
class Attribute(Node):
    """``name = expr`` in a body."""

    name: str
    expr: Expr


@dataclass(frozen=True)
class Block(Node):
    """``type "label" ... { body }``."""

    type: str
    labels: tuple[str, ...]
    body: Body
    label_pos: tuple[SourcePos, ...] = ()


@dataclass(frozen=True)
class Body(Node):
    """A file's or a block's attributes and blocks, in order."""

    items: tuple[Attribute | Block, ...]

    # Kept once asked for (the loader asks for a block's attributes five times); not fields, so
    # equality, hashing and walk() see only the items.
    @functools.cached_property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(i for i in self.items if isinstance(i, Attribute))

    @functools.cached_property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(i for i in self.items if isinstance(i, Block))


def traversal(expr: Expr) -> tuple[str, tuple[str | int, ...]] | None:
    """``component.x["k"].id`` as (root, steps) when every step is static; else None."""
    steps: list[str | int] = []
    node = expr
    while True:
        if isinstance(node, Variable):
            return node.name, tuple(reversed(steps))
        if isinstance(node, GetAttr):
            steps.append(node.name)
            node = node.obj
        elif isinstance(node, Index):
            key = node.key
            if isinstance(key, TemplateExpr) and len(key.parts) == 1:
                key = key.parts[0]
            if not isinstance(key, LiteralValue) or not isinstance(key.value, str | int) or isinstance(
                key.value, bool
            ):
                return None
            steps.append(key.value)
            node = node.obj
        else:
            return None


def walk(node: Node) -> list[Node]:
    """Every node under ``node`` (itself included), depth first in source order."""
    out: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        children: list[Node] = []
        for name in n.__dataclass_fields__:
            value = getattr(n, name)
            if isinstance(value, Node):
                children.append(value)
            elif isinstance(value, tuple):
                children.extend(v for v in value if isinstance(v, Node))
        stack.extend(reversed(children))
    return out
