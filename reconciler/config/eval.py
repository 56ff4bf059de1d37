"""Expression evaluation.

The evaluator knows expressions, not blocks: references to ``var.``, ``local.``, ``component.``...
go to a ``resolve`` callback the loader supplies (it evaluates blocks lazily and detects cycles).
Errors raise ``EvalError``; the caller turns it into a diagnostic for the attribute at hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from imgb.diagnostics import SourcePos, did_you_mean
from imgb.reconciler.config import ast
from imgb.reconciler.config.context import Context, EvalError, Resolver
from imgb.reconciler.config.functions import FUNCTIONS, call
from imgb.reconciler.config.values import (
    INVALID,
    ConversionError,
    describe,
    equal,
    normalize_number,
    to_bool,
    to_number,
    to_string,
    type_name,
)
from imgb.unknown import Unknown, marker

__all__ = ["Context", "EvalError", "Evaluator", "Resolver"]  # Context and EvalError are context.py's, named here too

NAMESPACES = ("var", "local", "component", "template", "distribution", "path", "imgb")
"""Roots resolved by the loader. ``each`` comes from the frame of a for_each instance."""


class Evaluator:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.functions = FUNCTIONS

    def with_context(self, ctx: Context) -> Evaluator:
        """An evaluator of the same kind over another context (templatefile()'s)."""
        return Evaluator(ctx)

    def eval(self, expr: ast.Expr, frame: Mapping[str, Any] | None = None) -> Any:
        method: Callable[[Any, Mapping[str, Any]], Any] = getattr(self, "e_" + type(expr).__name__)
        try:
            return method(expr, frame or {})
        except RecursionError:
            raise EvalError(
                "Expression too deeply nested", "Simplify the expression.", expr.pos
            ) from None

    # literals and templates
    def e_LiteralValue(self, e: ast.LiteralValue, frame: Mapping[str, Any]) -> Any:
        return e.value

    def e_TemplateExpr(self, e: ast.TemplateExpr, frame: Mapping[str, Any]) -> Any:
        if e.wrap:
            return self.eval(e.parts[0], frame)  # "${x}" is x itself, of any type, as in HCL
        return self.template_parts(e.parts, frame)

    def template_parts(self, parts: tuple[ast.Expr, ...], frame: Mapping[str, Any]) -> Any:
        out: list[str] = []
        for part in parts:
            if isinstance(part, ast.LiteralValue) and isinstance(part.value, str):
                out.append(part.value)
                continue
            value = self.eval(part, frame)
            if value is INVALID:
                return INVALID
            out.append(self.stringify(value, part.pos))
        return "".join(out)

    def stringify(self, value: Any, pos: SourcePos) -> str:
        if isinstance(value, Unknown):
            return marker(value.ref)  # the planner hashes and apply fills in these markers
        if value is None:
            raise EvalError(
                "Invalid template interpolation value",
                "The expression result is null. A null value cannot be interpolated into a string; "
                "use a conditional or coalesce() to choose a default.",
                pos,
            )
        try:
            return to_string(value)
        except ConversionError:
            raise EvalError(
                "Invalid template interpolation value",
                f"Cannot include a {type_name(value)} value in a string template: a string, number or bool "
                "is required. Use jsonencode() or join() to turn it into text.",
                pos,
            ) from None

    def e_TemplateIf(self, e: ast.TemplateIf, frame: Mapping[str, Any]) -> Any:
        cond = self.eval(e.cond, frame)
        if cond is INVALID or isinstance(cond, Unknown):
            return cond
        branch = e.then if self.as_bool(cond, e.cond.pos, "the if directive's condition") else e.otherwise
        return self.template_parts(branch, frame)

    def e_TemplateFor(self, e: ast.TemplateFor, frame: Mapping[str, Any]) -> Any:
        coll = self.eval(e.collection, frame)
        if coll is INVALID or isinstance(coll, Unknown):
            return coll
        out: list[str] = []
        for k, v in self.iterate(coll, e.collection.pos):
            inner = dict(frame)
            inner[e.value_var] = v
            if e.key_var:
                inner[e.key_var] = k
            piece = self.template_parts(e.body, inner)
            if not isinstance(piece, str):
                return piece
            out.append(piece)
        return "".join(out)

    # references
    def e_Variable(self, e: ast.Variable, frame: Mapping[str, Any]) -> Any:
        if e.name in frame:
            return frame[e.name]
        if e.name in NAMESPACES:
            raise EvalError(
                "Invalid reference",
                f'"{e.name}" must be followed by an attribute name, as in {e.name}.example.',
                e.pos,
                static=True,
            )
        if e.name == "each":
            raise EvalError(
                'Reference to "each" in context without for_each',
                'The "each" object can be used only in component, template and distribution blocks '
                "that set for_each.",
                e.pos,
                static=True,
            )
        if e.name == "self":
            raise EvalError("Invalid reference", '"self" is not available in imgb configurations.', e.pos, True)
        if self.ctx.template_vars is not None:
            given = ", ".join(sorted(self.ctx.template_vars)) or "none"
            raise EvalError(
                "Invalid template variable",
                f'The template uses "{e.name}", but templatefile() was not given a variable of that name '
                f"(given: {given}). Add it to the second argument.{did_you_mean(e.name, self.ctx.template_vars)}",
                e.pos,
            )
        hint = did_you_mean(e.name, [*frame.keys(), *NAMESPACES])
        raise EvalError(
            "Invalid reference",
            f'A reference to "{e.name}" is not valid here: references start with var., local., component., '
            f"template. or distribution. A string value must be quoted.{hint}",
            e.pos,
            static=True,
        )

    def e_GetAttr(self, e: ast.GetAttr, frame: Mapping[str, Any]) -> Any:
        if isinstance(e.obj, ast.Variable) and e.obj.name in NAMESPACES and e.obj.name not in frame:
            return self.ctx.resolve(e.obj.name, e.name, e.pos)
        obj = self.eval(e.obj, frame)
        return self.get_attr(obj, e.name, e.pos)

    def get_attr(self, obj: Any, name: str, pos: SourcePos) -> Any:
        if obj is INVALID:
            return INVALID
        if isinstance(obj, Unknown):
            return Unknown(f"{obj.ref}.{name}")
        if isinstance(obj, dict):
            if name in obj:
                return obj[name]
            hint = did_you_mean(name, obj.keys())
            raise EvalError(
                "Unsupported attribute", f'This object does not have an attribute named "{name}".{hint}', pos
            )
        if obj is None:
            raise EvalError(
                "Attempt to get attribute from null value", "This value is null, so it has no attributes.", pos
            )
        extra = " To get an attribute of every element, use a splat: [*]." if isinstance(obj, list) else ""
        raise EvalError(
            "Unsupported attribute",
            f'Cannot access attribute "{name}" on a {type_name(obj)} value.{extra}',
            pos,
        )

    def e_Index(self, e: ast.Index, frame: Mapping[str, Any]) -> Any:
        obj = self.eval(e.obj, frame)
        key = self.eval(e.key, frame)
        return self.index(obj, key, e.pos)

    def index(self, obj: Any, key: Any, pos: SourcePos) -> Any:
        if obj is INVALID or key is INVALID:
            return INVALID
        if isinstance(obj, Unknown):
            return Unknown(f"{obj.ref}[{key!r}]") if not isinstance(key, Unknown) else obj
        if isinstance(key, Unknown):
            return key
        if isinstance(obj, list):
            try:
                i = to_number(key)
            except ConversionError as exc:
                raise EvalError("Invalid index", f"A list index must be a number: {exc}.", pos) from None
            if isinstance(i, float) or not 0 <= i < len(obj):
                raise EvalError(
                    "Invalid index",
                    f"The index {describe(key)} is out of range for a list of {len(obj)} element(s) "
                    "(indexes start at 0).",
                    pos,
                )
            return obj[i]
        if isinstance(obj, dict):
            try:
                k = to_string(key)
            except ConversionError as exc:
                raise EvalError("Invalid index", f"A map key must be a string: {exc}.", pos) from None
            if k in obj:
                return obj[k]
            hint = did_you_mean(k, obj.keys())
            raise EvalError(
                "Invalid index", f'The given key "{k}" does not identify an element in this collection.{hint}', pos
            )
        if obj is None:
            raise EvalError("Attempt to index null value", "This value is null, so it has no elements.", pos)
        raise EvalError("Invalid index", f"A {type_name(obj)} value cannot be indexed.", pos)

    def e_SplatItem(self, e: ast.SplatItem, frame: Mapping[str, Any]) -> Any:
        return frame["\0splat"]

    def e_Splat(self, e: ast.Splat, frame: Mapping[str, Any]) -> Any:
        source = self.eval(e.source, frame)
        if source is INVALID or isinstance(source, Unknown):
            return source
        if source is None:
            return []
        items = source if isinstance(source, list) else [source]
        out = []
        for item in items:
            inner = dict(frame)
            inner["\0splat"] = item
            out.append(self.eval(e.each, inner))
        return out

    # operators
    def e_Conditional(self, e: ast.Conditional, frame: Mapping[str, Any]) -> Any:
        cond = self.eval(e.cond, frame)
        if cond is INVALID or isinstance(cond, Unknown):
            return cond
        if self.as_bool(cond, e.cond.pos, "the condition"):
            return self.eval(e.true, frame)
        return self.eval(e.false, frame)

    def as_bool(self, value: Any, pos: SourcePos, what: str) -> bool:
        try:
            return to_bool(value)
        except ConversionError as exc:
            raise EvalError("Invalid condition", f"{what[0].upper()}{what[1:]} must be a bool: {exc}.", pos) from None

    def e_UnaryOp(self, e: ast.UnaryOp, frame: Mapping[str, Any]) -> Any:
        value = self.eval(e.operand, frame)
        if value is INVALID or isinstance(value, Unknown):
            return value
        try:
            if e.op == "!":
                return not to_bool(value)
            return normalize_number(-to_number(value))
        except ConversionError as exc:
            raise EvalError("Invalid operand", f'Unsuitable value for the "{e.op}" operator: {exc}.', e.pos) from None

    def e_BinaryOp(self, e: ast.BinaryOp, frame: Mapping[str, Any]) -> Any:
        left = self.eval(e.left, frame)
        if e.op in ("&&", "||") and not isinstance(left, Unknown) and left is not INVALID:
            lb = self.operand_bool(left, e)
            if (e.op == "&&" and not lb) or (e.op == "||" and lb):
                return lb
            right = self.eval(e.right, frame)
            if right is INVALID or isinstance(right, Unknown):
                return right
            return self.operand_bool(right, e)
        right = self.eval(e.right, frame)
        for v in (left, right):
            if v is INVALID:
                return INVALID
        for v in (left, right):
            if isinstance(v, Unknown):
                return v
        if e.op == "==":
            return equal(left, right)
        if e.op == "!=":
            return not equal(left, right)
        if e.op in ("&&", "||"):
            return self.operand_bool(right, e)
        try:
            a, b = to_number(left), to_number(right)
        except ConversionError as exc:
            raise EvalError(
                "Invalid operand", f'Unsuitable value for the "{e.op}" operator: {exc}.', e.pos
            ) from None
        if e.op == "+":
            return normalize_number(a + b)
        if e.op == "-":
            return normalize_number(a - b)
        if e.op == "*":
            return normalize_number(a * b)
        if e.op in ("/", "%"):
            if b == 0:
                raise EvalError("Division by zero", f'The right operand of "{e.op}" is zero.', e.pos)
            return normalize_number(a / b if e.op == "/" else _mod(a, b))
        if e.op == "<":
            return a < b
        if e.op == ">":
            return a > b
        if e.op == "<=":
            return a <= b
        if e.op == ">=":
            return a >= b
        raise EvalError("Invalid operator", f'The operator "{e.op}" is not supported.', e.pos)  # pragma: no cover

    def operand_bool(self, value: Any, e: ast.BinaryOp) -> bool:
        try:
            return to_bool(value)
        except ConversionError as exc:
            raise EvalError("Invalid operand", f'Unsuitable value for the "{e.op}" operator: {exc}.', e.pos) from None

    # collections
    def e_TupleExpr(self, e: ast.TupleExpr, frame: Mapping[str, Any]) -> Any:
        return [self.eval(item, frame) for item in e.items]

    def e_ObjectExpr(self, e: ast.ObjectExpr, frame: Mapping[str, Any]) -> Any:
        out: dict[str, Any] = {}
        for item in e.items:
            key = self.eval(item.key, frame)
            if key is INVALID:
                return INVALID
            if isinstance(key, Unknown):
                return key
            out[self.key_string(key, item.key.pos)] = self.eval(item.value, frame)
        return out

    def key_string(self, key: Any, pos: SourcePos) -> str:
        try:
            return to_string(key)
        except ConversionError as exc:
            raise EvalError("Invalid object key", f"An object key must be a string: {exc}.", pos) from None

    def iterate(self, coll: Any, pos: SourcePos) -> list[tuple[Any, Any]]:
        if isinstance(coll, list):
            return list(enumerate(coll))
        if isinstance(coll, dict):
            return [(k, coll[k]) for k in sorted(coll)]
        raise EvalError(
            "Iteration over non-iterable value",
            f"A for expression needs a list, set, map or object; got {describe(coll)}.",
            pos,
        )

    def e_ForExpr(self, e: ast.ForExpr, frame: Mapping[str, Any]) -> Any:
        coll = self.eval(e.collection, frame)
        if coll is INVALID or isinstance(coll, Unknown):
            return coll
        tuple_out: list[Any] = []
        obj_out: dict[str, Any] = {}
        for k, v in self.iterate(coll, e.collection.pos):
            inner = dict(frame)
            inner[e.value_var] = v
            if e.key_var:
                inner[e.key_var] = k
            if e.cond is not None:
                c = self.eval(e.cond, inner)
                if c is INVALID or isinstance(c, Unknown):
                    return c
                if not self.as_bool(c, e.cond.pos, "the for expression's if clause"):
                    continue
            if e.key_expr is None:
                tuple_out.append(self.eval(e.value_expr, inner))
                continue
            key = self.eval(e.key_expr, inner)
            if key is INVALID or isinstance(key, Unknown):
                return key
            ks = self.key_string(key, e.key_expr.pos)
            value = self.eval(e.value_expr, inner)
            if e.group:
                obj_out.setdefault(ks, []).append(value)
            elif ks in obj_out:
                raise EvalError(
                    "Duplicate object key",
                    f'Two elements produce the key "{ks}". Make keys unique, or add "..." after the value '
                    "to group values by key.",
                    e.key_expr.pos,
                )
            else:
                obj_out[ks] = value
        return tuple_out if e.key_expr is None else obj_out

    # functions
    def e_FunctionCall(self, e: ast.FunctionCall, frame: Mapping[str, Any]) -> Any:
        return call(self, e, frame)


def _mod(a: int | float, b: int | float) -> int | float:
    # Terraform's % keeps the dividend's sign (truncated division), unlike Python's.
    import math

    return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else int(math.fmod(a, b))
