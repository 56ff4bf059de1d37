"""Expression evaluation, with HCL's and cty's semantics (see values.py for how values look).

The evaluator knows expressions, not blocks: references to ``var.``, ``local.``, ``component.``...
go to a ``resolve`` callback the loader supplies (it evaluates blocks lazily and detects cycles).
Errors raise ``EvalError``; the caller turns it into a diagnostic for the attribute at hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from imgb.diagnostics import SourcePos, did_you_mean
from imgb.reconciler.config import ast, numbers
from imgb.reconciler.config.context import Context, EvalError, Resolver
from imgb.reconciler.config.convert import convert, unify
from imgb.reconciler.config.functions import call
from imgb.reconciler.config.marks import Marked, remark, unmark, unmark_deep
from imgb.reconciler.config.numbers import NumberError, is_number
from imgb.reconciler.config.types import BOOL, DYNAMIC, NUMBER
from imgb.reconciler.config.values import (
    INVALID,
    ConversionError,
    ListV,
    MapV,
    SetV,
    describe,
    equal,
    is_null,
    nfc,
    to_string,
    type_of,
)
from imgb.unknown import Unknown, marker

__all__ = ["Context", "EvalError", "Evaluator", "Resolver"]  # Context and EvalError are context.py's, named here too

NAMESPACES = ("var", "local", "component", "template", "distribution", "path", "imgb")
"""Roots resolved by the loader. ``each`` comes from the frame of a for_each instance."""


_SPLAT = "\0splat"


class Evaluator:
    def __init__(self, ctx: Context):
        self.ctx = ctx

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
        v = e.value
        if isinstance(v, float):  # an AST from before numbers were exact
            return numbers.from_float(v)
        return v

    def e_TemplateExpr(self, e: ast.TemplateExpr, frame: Mapping[str, Any]) -> Any:
        if e.wrap:
            return self.eval(e.parts[0], frame)  # "${x}" is x itself, of any type, as in HCL
        return self.template_parts(e.parts, frame)

    def template_parts(self, parts: tuple[ast.Expr, ...], frame: Mapping[str, Any]) -> Any:
        if len(parts) == 1 and isinstance(parts[0], ast.LiteralValue) and isinstance(parts[0].value, str):
            return parts[0].value  # plain text, normalised when parsed
        out: list[str] = []
        marked = False
        for part in parts:
            if isinstance(part, ast.LiteralValue) and isinstance(part.value, str):
                out.append(part.value)
                continue
            value = self.eval(part, frame)
            if value is INVALID:
                return INVALID
            if isinstance(value, Marked):
                value, marked = value.value, True
            out.append(self.stringify(value, part.pos))
        return remark(nfc("".join(out)), marked)

    def stringify(self, value: Any, pos: SourcePos) -> str:
        if isinstance(value, Unknown):
            return marker(value.ref)  # the planner hashes and apply fills in these markers
        if is_null(value):
            raise EvalError(
                "Invalid template interpolation value",
                "The expression result is null. Cannot include a null value in a string template; "
                "use a conditional or coalesce() to choose a default.",
                pos,
            )
        if isinstance(value, str):
            return value
        try:
            return to_string(value)
        except ConversionError:
            raise EvalError(
                "Invalid template interpolation value",
                f"Cannot include the given value in a string template: string required, but have "
                f"{type_of(value).friendly()}. Use jsonencode() or join() to turn it into text.",
                pos,
            ) from None

    def e_TemplateIf(self, e: ast.TemplateIf, frame: Mapping[str, Any]) -> Any:
        cond, marked = unmark(self.eval(e.cond, frame))
        if cond is INVALID or isinstance(cond, Unknown):
            return cond
        branch = e.then if self.as_bool(cond, e.cond.pos, "the if directive's condition") else e.otherwise
        return remark(self.template_parts(branch, frame), marked)

    def e_TemplateFor(self, e: ast.TemplateFor, frame: Mapping[str, Any]) -> Any:
        coll, marked = unmark(self.eval(e.collection, frame))
        if coll is INVALID or isinstance(coll, Unknown):
            return coll
        out: list[str] = []
        for k, v in self.iterate(coll, e.collection.pos, "template 'for' directive"):
            inner = dict(frame)
            inner[e.value_var] = v
            if e.key_var:
                inner[e.key_var] = k
            piece = self.template_parts(e.body, inner)
            if isinstance(piece, Marked):
                piece, marked = piece.value, True
            if not isinstance(piece, str):
                return piece
            out.append(piece)
        return remark("".join(out), marked)

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
        obj, marked = unmark(obj)
        if obj is INVALID:
            return INVALID
        if isinstance(obj, Unknown):
            return Unknown(f"{obj.ref}.{name}")
        if isinstance(obj, dict):
            if name in obj:
                return remark(obj[name], marked)
            if isinstance(obj, MapV):
                raise EvalError(
                    "Missing map element", f'This map does not have an element with the key "{name}".', pos
                )
            hint = did_you_mean(name, obj.keys())
            raise EvalError(
                "Unsupported attribute", f'This object does not have an attribute named "{name}".{hint}', pos
            )
        if is_null(obj):
            raise EvalError(
                "Attempt to get attribute from null value",
                "This value is null, so it does not have any attributes.",
                pos,
            )
        extra = " To get an attribute of every element, use a splat: [*]." if isinstance(obj, list) else ""
        raise EvalError("Unsupported attribute", f"This value does not have any attributes.{extra}", pos)

    def e_Index(self, e: ast.Index, frame: Mapping[str, Any]) -> Any:
        obj = self.eval(e.obj, frame)
        key = self.eval(e.key, frame)
        return self.index(obj, key, e.pos)

    def index(self, obj: Any, key: Any, pos: SourcePos) -> Any:
        obj, marked = unmark(obj)
        key, key_marked = unmark(key)
        marked = marked or key_marked
        if obj is INVALID or key is INVALID:
            return INVALID
        if is_null(obj):
            raise EvalError("Attempt to index null value", "This value is null, so it does not have any indices.", pos)
        if is_null(key):
            raise EvalError("Invalid index", "Can't use a null value as an indexing key.", pos)
        if isinstance(obj, Unknown):
            return Unknown(f"{obj.ref}[{key!r}]") if not isinstance(key, Unknown) else obj
        if isinstance(key, Unknown):
            return key
        if isinstance(obj, SetV):
            raise EvalError(
                "Invalid index",
                "Elements of a set are identified only by their value and don't have any separate index or "
                "key to select with, so it's only possible to perform operations across all elements of "
                "the set.",
                pos,
            )
        if isinstance(obj, list):
            try:
                n = convert(key, NUMBER)
            except ConversionError:
                raise EvalError(
                    "Invalid index",
                    f"The given key does not identify an element in this collection value: a number is "
                    f"required, got {describe(key)}.",
                    pos,
                ) from None
            i = numbers.to_int(n)
            if i is None:
                raise EvalError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: indexing a "
                    "sequence requires a whole number, but the given index has a fractional part.",
                    pos,
                )
            if i < 0:
                raise EvalError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: a negative "
                    "number is not a valid index for a sequence.",
                    pos,
                )
            if i >= len(obj):
                raise EvalError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: the given index "
                    f"is greater than or equal to the length of the collection ({len(obj)}).",
                    pos,
                )
            return remark(obj[i], marked)
        if isinstance(obj, dict):
            try:
                k = to_string(key)
            except ConversionError as exc:
                raise EvalError("Invalid index", f"A map key must be a string: {exc}.", pos) from None
            if k in obj:
                return remark(obj[k], marked)
            if not isinstance(obj, MapV) and is_number(key):
                raise EvalError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value. An object only "
                    "supports looking up attributes by name, not by numeric index.",
                    pos,
                )
            hint = did_you_mean(k, obj.keys())
            raise EvalError(
                "Invalid index",
                f'The given key does not identify an element in this collection value: "{k}" is not '
                f"one of its keys.{hint}",
                pos,
            )
        raise EvalError("Invalid index", "This value does not have any indices.", pos)

    def e_SplatItem(self, e: ast.SplatItem, frame: Mapping[str, Any]) -> Any:
        return frame[_SPLAT]

    def e_Splat(self, e: ast.Splat, frame: Mapping[str, Any]) -> Any:
        source, marked = unmark(self.eval(e.source, frame))
        if source is INVALID or isinstance(source, Unknown):
            return source
        if is_null(source):
            return []
        if isinstance(source, list):
            items, kind = list(source), ("list" if isinstance(source, ListV | SetV) else "tuple")
        else:
            items, kind = [source], "tuple"
        out = []
        for item in items:
            inner = dict(frame)
            inner[_SPLAT] = item
            out.append(self.eval(e.each, inner))
        if kind == "list":
            types = [type_of(v) for v in out]
            ety = unify(types) if types else DYNAMIC
            return remark(ListV(out, ety or DYNAMIC), marked)
        return remark(out, marked)

    # operators
    def e_Conditional(self, e: ast.Conditional, frame: Mapping[str, Any]) -> Any:
        cond, marked = unmark(self.eval(e.cond, frame))
        if cond is INVALID:
            return INVALID
        if isinstance(cond, Unknown):
            return cond
        if is_null(cond):
            raise EvalError(
                "Null condition", "The condition value is null. Conditions must either be true or false.", e.cond.pos
            )
        choose_true = self.as_bool(cond, e.cond.pos, "the condition")
        chosen_expr, other_expr = (e.true, e.false) if choose_true else (e.false, e.true)
        chosen = self.eval(chosen_expr, frame)
        try:
            other = self.eval(other_expr, frame)  # its type takes part in the result's type
        except EvalError as exc:
            if exc.static:
                raise
            other = INVALID
        if chosen is INVALID:
            return INVALID
        result = self.unify_branches(chosen, other, e, choose_true)
        return remark(result, marked)

    def unify_branches(self, chosen: Any, other: Any, e: ast.Conditional, choose_true: bool) -> Any:
        if other is INVALID or isinstance(other, Unknown) or isinstance(chosen, Unknown):
            return chosen
        c, c_marked = unmark(chosen)
        o, _ = unmark(other)
        if o is None:  # a literal null on the other side: the chosen value's type decides
            return chosen
        ot = type_of(o)
        if c is None:
            return remark(convert(c, ot), c_marked)
        ct = type_of(c)
        if ct == ot:
            return chosen
        if ct.kind == "any" or ot.kind == "any":
            return chosen
        want = unify([ct, ot] if choose_true else [ot, ct])
        if want is None:
            t_type, f_type = (ct, ot) if choose_true else (ot, ct)
            raise EvalError(
                "Inconsistent conditional result types",
                "The true and false result expressions must have consistent types. The 'true' value is "
                f"{t_type.friendly()}, but the 'false' value is {f_type.friendly()}.",
                e.pos,
            )
        try:
            return remark(convert(c, want), c_marked)
        except ConversionError as exc:
            raise EvalError("Inconsistent conditional result types", f"The result cannot be converted: {exc}.", e.pos) from None

    def as_bool(self, value: Any, pos: SourcePos, what: str) -> bool:
        if is_null(value):
            raise EvalError("Null condition", f"{what[0].upper()}{what[1:]} is null; it must be true or false.", pos)
        try:
            return bool(convert(value, BOOL))
        except ConversionError as exc:
            raise EvalError("Incorrect condition type", f"{what[0].upper()}{what[1:]} must be a bool: {exc}.", pos) from None

    def e_UnaryOp(self, e: ast.UnaryOp, frame: Mapping[str, Any]) -> Any:
        value, marked = unmark(self.eval(e.operand, frame))
        if value is INVALID or isinstance(value, Unknown):
            return value
        if is_null(value):
            raise EvalError("Operation failed", "Error during operation: argument must not be null.", e.pos)
        want = BOOL if e.op == "!" else NUMBER
        try:
            v = convert(value, want)
        except ConversionError:
            raise EvalError(
                "Invalid operand", f"Unsuitable value for unary operand: {want.kind} required.", e.pos
            ) from None
        return remark((not v) if e.op == "!" else numbers.negate(v), marked)

    def e_BinaryOp(self, e: ast.BinaryOp, frame: Mapping[str, Any]) -> Any:
        left, lm = unmark(self.eval(e.left, frame))
        right, rm = unmark(self.eval(e.right, frame))  # HCL evaluates both operands, even of && and ||
        marked = lm or rm
        if left is INVALID or right is INVALID:
            return INVALID
        if e.op in ("==", "!="):
            left, lm2 = unmark_deep(left)
            right, rm2 = unmark_deep(right)
            r = equal(left, right)
            if isinstance(r, Unknown):
                return r
            return remark(r if e.op == "==" else not r, marked or lm2 or rm2)
        want = BOOL if e.op in ("&&", "||") else NUMBER
        operands = []
        for side, v in (("left", left), ("right", right)):
            if isinstance(v, Unknown):
                operands.append(v)
                continue
            if is_null(v):
                raise EvalError("Operation failed", "Error during operation: argument must not be null.", e.pos)
            try:
                operands.append(convert(v, want))
            except ConversionError:
                detail = "a number is required" if isinstance(v, str) else f"{want.kind} required"
                raise EvalError("Invalid operand", f"Unsuitable value for {side} operand: {detail}.", e.pos) from None
        a, b = operands
        if isinstance(a, Unknown):
            return a
        if isinstance(b, Unknown):
            return b
        try:
            return remark(_binary(e.op, a, b), marked)
        except NumberError as exc:
            raise EvalError("Operation failed", f"Error during operation: {_number_error(e.op, exc)}.", e.pos) from None

    # collections
    def e_TupleExpr(self, e: ast.TupleExpr, frame: Mapping[str, Any]) -> Any:
        return [self.eval(item, frame) for item in e.items]

    def e_ObjectExpr(self, e: ast.ObjectExpr, frame: Mapping[str, Any]) -> Any:
        out: dict[str, Any] = {}
        marked = False
        for item in e.items:
            key, km = unmark(self.eval(item.key, frame))
            marked = marked or km
            if key is INVALID:
                return INVALID
            if isinstance(key, Unknown):
                return key
            if is_null(key):
                raise EvalError("Null value as key", "Can't use a null value as a key.", item.key.pos)
            out[self.key_string(key, item.key.pos)] = self.eval(item.value, frame)
        return remark(out, marked)

    def key_string(self, key: Any, pos: SourcePos) -> str:
        try:
            return to_string(key)
        except ConversionError:
            raise EvalError(
                "Incorrect key type", f"Can't use this value as a key: string required, but have {describe(key)}.", pos
            ) from None

    def iterate(self, coll: Any, pos: SourcePos, what: str = "'for' expression") -> list[tuple[Any, Any]]:
        if is_null(coll):
            raise EvalError("Iteration over null value", f"A null value cannot be used as the collection in a {what}.", pos)
        if isinstance(coll, list):
            if isinstance(coll, SetV):
                return [(v, v) for v in coll]
            return list(enumerate(coll))
        if isinstance(coll, dict):
            return [(k, coll[k]) for k in sorted(coll)]
        raise EvalError(
            "Iteration over non-iterable value",
            f"A value of type {type_of(coll).friendly()} cannot be used as the collection in a {what}.",
            pos,
        )

    def e_ForExpr(self, e: ast.ForExpr, frame: Mapping[str, Any]) -> Any:
        coll, marked = unmark(self.eval(e.collection, frame))
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
                c, cm = unmark(self.eval(e.cond, inner))
                marked = marked or cm
                if c is INVALID or isinstance(c, Unknown):
                    return c
                if is_null(c):
                    raise EvalError("Condition is null", "The value of the 'if' clause must not be null.", e.cond.pos)
                if not self.as_bool(c, e.cond.pos, "the 'if' clause"):
                    continue
            if e.key_expr is None:
                tuple_out.append(self.eval(e.value_expr, inner))
                continue
            key, km = unmark(self.eval(e.key_expr, inner))
            marked = marked or km
            if key is INVALID or isinstance(key, Unknown):
                return key
            if is_null(key):
                raise EvalError(
                    "Invalid object key", "Key expression in 'for' expression must not produce a null value.", e.key_expr.pos
                )
            ks = self.key_string(key, e.key_expr.pos)
            value = self.eval(e.value_expr, inner)
            if e.group:
                obj_out.setdefault(ks, []).append(value)
            elif ks in obj_out:
                raise EvalError(
                    "Duplicate object key",
                    f'Two different items produced the key "{ks}" in this \'for\' expression. If duplicates are '
                    "expected, use the ellipsis (...) after the value expression to enable grouping by key.",
                    e.key_expr.pos,
                )
            else:
                obj_out[ks] = value
        return remark(tuple_out if e.key_expr is None else obj_out, marked)

    # functions
    def e_FunctionCall(self, e: ast.FunctionCall, frame: Mapping[str, Any]) -> Any:
        return call(self, e, frame)



def _binary(op: str, a: Any, b: Any) -> Any:
    if op == "&&":
        return a and b
    if op == "||":
        return a or b
    if op == "+":
        return numbers.add(a, b)
    if op == "-":
        return numbers.sub(a, b)
    if op == "*":
        return numbers.mul(a, b)
    if op == "/":
        return numbers.div(a, b)
    if op == "%":
        return numbers.modulo(a, b)
    c = numbers.compare(a, b)
    return {"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]


def _number_error(op: str, exc: NumberError) -> str:
    words = {
        "+": "can't compute a sum of infinities with opposite signs",
        "-": "can't subtract infinity from itself",
        "*": "can't multiply zero by infinity",
        "/": "can't divide zero by zero or infinity by infinity",
        "%": "can't use modulo with zero and infinity",
    }
    return words.get(op, str(exc))

