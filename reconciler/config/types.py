"""cty's types, and type constraints as variables write them (``string``, ``list(string)``,
``object({ a = optional(number, 1) })``, ``any``). Conversion between types is convert.py."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from imgb.reconciler.config import ast

PRIMITIVES = ("string", "number", "bool", "any")


@dataclass(frozen=True)
class Type:
    """A type constraint, as cty's types."""

    kind: str
    """string number bool any (cty's dynamic) list set map object tuple"""
    elem: Type | None = None
    attrs: tuple[tuple[str, Type, bool], ...] = ()
    """object: (name, type, optional), sorted by name."""
    defaults: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """object type constraints: defaults of optional attributes."""
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

    def friendly(self) -> str:
        """cty's FriendlyName: "list of string", "object", "dynamic"."""
        if self.kind == "any":
            return "dynamic"
        if self.kind in ("list", "set", "map"):
            assert self.elem is not None
            return f"{self.kind} of {self.elem.friendly()}"
        return self.kind

    @property
    def is_collection(self) -> bool:
        return self.kind in ("list", "set", "map")

    def attr_types(self) -> dict[str, Type]:
        return {name: t for name, t, _ in self.attrs}

    def has_dynamic(self) -> bool:
        if self.kind == "any":
            return True
        if self.elem is not None:
            return self.elem.has_dynamic()
        return any(t.has_dynamic() for t in self.items) or any(t.has_dynamic() for _, t, _ in self.attrs)


STRING = Type("string")
NUMBER = Type("number")
BOOL = Type("bool")
DYNAMIC = Type("any")
ANY = DYNAMIC


@functools.lru_cache(maxsize=4096)
def list_of(t: Type) -> Type:
    return Type("list", elem=t)


@functools.lru_cache(maxsize=4096)
def set_of(t: Type) -> Type:
    return Type("set", elem=t)


@functools.lru_cache(maxsize=4096)
def map_of(t: Type) -> Type:
    return Type("map", elem=t)


@functools.lru_cache(maxsize=4096)
def tuple_of(items: tuple[Type, ...]) -> Type:
    return Type("tuple", items=items)


def object_of(attrs: dict[str, Type]) -> Type:
    return _object_of(tuple(sorted(attrs.items())))


@functools.lru_cache(maxsize=4096)
def _object_of(attrs: tuple[tuple[str, Type], ...]) -> Type:
    return Type("object", attrs=tuple((n, t, False) for n, t in attrs))


def collection_of(kind: str, elem: Type) -> Type:
    return {"list": list_of, "set": set_of, "map": map_of}[kind](elem)


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
            return collection_of(expr.name, parse_type(expr.args[0]))
        if expr.name == "tuple":
            if len(expr.args) != 1 or not isinstance(expr.args[0], ast.TupleExpr):
                raise TypeSyntaxError("tuple() takes a list of types, as in tuple([string, number]).", expr.pos)
            return tuple_of(tuple(parse_type(t) for t in expr.args[0].items))
        if expr.name == "object":
            if len(expr.args) != 1 or not isinstance(expr.args[0], ast.ObjectExpr):
                raise TypeSyntaxError("object() takes attribute types, as in object({ name = string }).", expr.pos)
            attrs: dict[str, tuple[Type, bool]] = {}
            defaults: dict[str, Any] = {}
            for item in expr.args[0].items:
                key = item.key
                if isinstance(key, ast.TemplateExpr) and len(key.parts) == 1:
                    key = key.parts[0]
                if not isinstance(key, ast.LiteralValue) or not isinstance(key.value, str):
                    raise TypeSyntaxError("Object type attribute names must be plain names.", item.pos)
                name = key.value
                value = item.value
                if isinstance(value, ast.FunctionCall) and value.name == "optional":
                    if not 1 <= len(value.args) <= 2:
                        raise TypeSyntaxError("optional() takes a type and an optional default.", value.pos)
                    t = parse_type(value.args[0])
                    if len(value.args) == 2:
                        defaults[name] = _literal(value.args[1], t)
                    attrs[name] = (t, True)
                else:
                    attrs[name] = (parse_type(value), False)
            return Type(
                "object", attrs=tuple((n, t, o) for n, (t, o) in sorted(attrs.items())), defaults=defaults
            )
        if expr.name == "optional":
            raise TypeSyntaxError("optional() is allowed only for attributes inside object({...}).", expr.pos)
    raise TypeSyntaxError(
        "Invalid type constraint. Use string, number, bool, list(T), set(T), map(T), object({...}), "
        "tuple([...]) or any.",
        expr.pos,
    )


def _literal(expr: ast.Expr, t: Type) -> Any:
    from pathlib import Path

    from imgb.reconciler.config.convert import convert
    from imgb.reconciler.config.eval import Context, EvalError, Evaluator
    from imgb.reconciler.config.values import ConversionError

    def no_refs(root: str, name: str, pos: Any) -> Any:
        raise EvalError("Invalid default", "A default in a type constraint cannot use references.", pos, True)

    try:
        value = Evaluator(Context(Path("."), no_refs)).eval(expr)
        return convert(value, t)
    except EvalError as exc:
        raise TypeSyntaxError(f"{exc.summary}: {exc.detail}", exc.pos) from None
    except ConversionError as exc:
        raise TypeSyntaxError(f"Invalid default value for optional attribute: {exc}.", expr.pos) from None
