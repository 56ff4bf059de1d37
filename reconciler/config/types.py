"""Variable type constraints (``string``, ``list(string)``, ``object({...})``...) and conversion.

Conversion follows Terraform: a number or bool becomes a string, a string becomes a number or bool
when it spells one exactly, a tuple becomes a list, an object becomes a map, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imgb.reconciler.config import ast
from imgb.reconciler.config.values import INVALID, ConversionError, describe, parse_number, to_string
from imgb.unknown import Unknown

PRIMITIVES = ("string", "number", "bool", "any")


@dataclass(frozen=True)
class Type:
    kind: str
    """string number bool any list set map object tuple"""
    elem: Type | None = None
    attrs: tuple[tuple[str, Type, bool], ...] = ()
    """object: (name, type, optional)."""
    defaults: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """object: defaults of optional attributes."""
    items: tuple[Type, ...] = ()

    def __str__(self) -> str:
        if self.kind in PRIMITIVES:
            return self.kind
        if self.kind in ("list", "set", "map"):
            return f"{self.kind}({self.elem})"
        if self.kind == "tuple":
            return "tuple([" + ", ".join(str(t) for t in self.items) + "])"
        inner = []
        for name, t, opt in self.attrs:
            inner.append(f"{name} = optional({t})" if opt else f"{name} = {t}")
        return "object({" + ", ".join(inner) + "})"


ANY = Type("any")
STRING = Type("string")


class TypeSyntaxError(Exception):
    def __init__(self, message: str, pos: Any):
        super().__init__(message)
        self.pos = pos


def parse_type(expr: ast.Expr) -> Type:
    """A type constraint written as an expression; raises ``TypeSyntaxError``."""
    if isinstance(expr, ast.Variable):
        if expr.name in PRIMITIVES:
            return Type(expr.name)
        raise TypeSyntaxError(
            f'"{expr.name}" is not a type. Use string, number, bool, list(T), set(T), map(T), '
            "object({...}), tuple([...]) or any.",
            expr.pos,
        )
    if isinstance(expr, ast.FunctionCall):
        if expr.name in ("list", "set", "map"):
            if len(expr.args) != 1:
                raise TypeSyntaxError(f"{expr.name}() takes exactly one element type, as in {expr.name}(string).", expr.pos)
            return Type(expr.name, elem=parse_type(expr.args[0]))
        if expr.name == "tuple":
            if len(expr.args) != 1 or not isinstance(expr.args[0], ast.TupleExpr):
                raise TypeSyntaxError("tuple() takes a list of types, as in tuple([string, number]).", expr.pos)
            return Type("tuple", items=tuple(parse_type(t) for t in expr.args[0].items))
        if expr.name == "object":
            if len(expr.args) != 1 or not isinstance(expr.args[0], ast.ObjectExpr):
                raise TypeSyntaxError("object() takes attribute types, as in object({ name = string }).", expr.pos)
            attrs: list[tuple[str, Type, bool]] = []
            defaults: dict[str, Any] = {}
            for item in expr.args[0].items:
                if not isinstance(item.key, ast.LiteralValue) or not isinstance(item.key.value, str):
                    raise TypeSyntaxError("Object type attribute names must be plain names.", item.pos)
                name = item.key.value
                value = item.value
                if isinstance(value, ast.FunctionCall) and value.name == "optional":
                    if not 1 <= len(value.args) <= 2:
                        raise TypeSyntaxError("optional() takes a type and an optional default.", value.pos)
                    t = parse_type(value.args[0])
                    if len(value.args) == 2:
                        defaults[name] = _literal(value.args[1])
                    attrs.append((name, t, True))
                else:
                    attrs.append((name, parse_type(value), False))
            return Type("object", attrs=tuple(attrs), defaults=defaults)
        if expr.name == "optional":
            raise TypeSyntaxError("optional() is allowed only for attributes inside object({...}).", expr.pos)
    raise TypeSyntaxError(
        "Invalid type constraint. Use string, number, bool, list(T), set(T), map(T), object({...}), "
        "tuple([...]) or any.",
        expr.pos,
    )


def _literal(expr: ast.Expr) -> Any:
    from imgb.reconciler.config.eval import Context, EvalError, Evaluator

    def no_refs(root: str, name: str, pos: Any) -> Any:
        raise EvalError("Invalid default", "A default in a type constraint cannot use references.", pos, True)

    from pathlib import Path

    try:
        return Evaluator(Context(Path("."), no_refs)).eval(expr)
    except EvalError as exc:
        raise TypeSyntaxError(f"{exc.summary}: {exc.detail}", exc.pos) from None


def convert(value: Any, t: Type, path: str = "") -> Any:
    """``value`` converted to ``t``; raises ``ConversionError`` naming where inside it went wrong."""
    if value is INVALID or isinstance(value, Unknown) or t.kind == "any":
        return value
    if value is None:
        return None
    where = f"{path}: " if path else ""
    if t.kind == "string":
        if isinstance(value, list | dict):
            raise ConversionError(f"{where}a string is required, got {describe(value)}")
        return to_string(value)
    if t.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConversionError(f"{where}a number is required, got {describe(value)}")
        if isinstance(value, str):
            n = parse_number(value)
            if n is None:
                raise ConversionError(f"{where}a number is required, got {describe(value)}")
            return n
        return value
    if t.kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise ConversionError(f"{where}a bool is required, got {describe(value)}")
    if t.kind in ("list", "set"):
        if not isinstance(value, list):
            raise ConversionError(f"{where}a {t.kind} is required, got {describe(value)}")
        assert t.elem is not None
        items = [convert(v, t.elem, f"{path}[{i}]") for i, v in enumerate(value)]
        if t.kind == "set":
            from imgb.reconciler.config.functions import _distinct, _sort_key

            items = sorted(_distinct(items), key=_sort_key)
        return items
    if t.kind == "map":
        if not isinstance(value, dict):
            raise ConversionError(f"{where}a map is required, got {describe(value)}")
        assert t.elem is not None
        return {k: convert(v, t.elem, f"{path}[{k!r}]".replace("'", '"')) for k, v in value.items()}
    if t.kind == "tuple":
        if not isinstance(value, list) or len(value) != len(t.items):
            raise ConversionError(f"{where}a tuple of {len(t.items)} elements is required, got {describe(value)}")
        return [convert(v, it, f"{path}[{i}]") for i, (v, it) in enumerate(zip(value, t.items, strict=True))]
    if t.kind == "object":
        if not isinstance(value, dict):
            raise ConversionError(f"{where}an object is required, got {describe(value)}")
        out: dict[str, Any] = {}
        for name, at, optional in t.attrs:
            sub = f"{path}.{name}" if path else name
            if name in value and value[name] is not None:
                out[name] = convert(value[name], at, sub)
            elif optional:
                out[name] = convert(t.defaults[name], at, sub) if name in t.defaults else None
            elif name in value:
                out[name] = None
            else:
                raise ConversionError(f'{where}attribute "{name}" is required')
        return out
    raise ConversionError(f"{where}unsupported type {t}")  # pragma: no cover
