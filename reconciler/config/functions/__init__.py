"""Terraform 1.11's functions, with cty's calling convention.

A call checks the argument count, expands a final ``...`` argument, converts each argument to its
parameter's type (``join(",", [1, 2])`` gets strings), and returns an unknown when an argument is
unknown (values known only after apply), unless the function handles unknowns itself. Sensitive
arguments give a sensitive result. Every function is also ``core::NAME``. Each submodule registers
its functions in ``FUNCTIONS`` with ``@function``; a submodule is imported when one of its functions
is first looked up, so a configuration pays only for the functions it calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from imgb.diagnostics import SourcePos, did_you_mean
from imgb.reconciler.config import ast
from imgb.reconciler.config.convert import convert
from imgb.reconciler.config.marks import Marked, mark, unmark_deep
from imgb.reconciler.config.numbers import NumberError
from imgb.reconciler.config.types import DYNAMIC, Type
from imgb.reconciler.config.values import (
    INVALID,
    ConversionError,
    ListV,
    SetV,
    deep_unknown,
    describe,
    is_invalid,
    is_null,
)
from imgb.unknown import Unknown

if TYPE_CHECKING:
    from imgb.reconciler.config.context import Evaluating


class FuncError(Exception):
    """A function rejected its arguments. ``arg`` is the 0-based index of the culprit, if known."""

    def __init__(self, message: str, arg: int | None = None):
        super().__init__(message)
        self.arg = arg


@dataclass(frozen=True)
class Param:
    """One parameter of a function: its type and what it accepts."""

    name: str
    type: Type = DYNAMIC
    allow_null: bool = False
    allow_unknown: bool = False
    """The function looks at unknowns itself (otherwise an unknown argument gives an unknown result)."""


@dataclass
class Call:
    """What an implementation may use besides its arguments."""

    ev: Evaluating
    pos: SourcePos
    name: str
    arg_pos: list[SourcePos] = field(default_factory=list)
    args: tuple[ast.Expr, ...] = ()

    def error_pos(self, arg: int | None) -> SourcePos:
        if arg is not None and 0 <= arg < len(self.arg_pos):
            return self.arg_pos[arg]
        return self.pos


Impl = Callable[[Call, list[Any]], Any]


@dataclass(frozen=True)
class Func:
    """A function of the configuration language: its implementation and signature."""

    impl: Impl
    params: tuple[Param, ...]
    variadic: Param | None = None
    nested_unknown: bool = False
    """Unknowns inside collection arguments are moved around, not looked at (length, concat...)."""
    marks: str = "deep"
    """deep: any sensitive value in the arguments makes the result sensitive; shallow: only a
    sensitive argument (length of a list holding a secret is not secret); own: the function
    handles marks (sensitive, nonsensitive, issensitive)."""
    lazy: bool = False
    """can and try: the implementation evaluates its argument expressions itself."""
    volatile: bool = False
    """The result changes from run to run (timestamp, uuid, bcrypt): a warning when it reaches a hash."""
    description: str = ""

    def signature(self, name: str) -> str:
        ps = [p.name for p in self.params]
        if self.variadic:
            ps.append(self.variadic.name + "...")
        return f"{name}({', '.join(ps)})"


_MODULE_OF: dict[str, str] = {
    name: module
    for module, names in {
        "collections": (
            "alltrue anytrue chunklist coalesce coalescelist compact concat contains distinct element "
            "flatten index keys length lookup matchkeys max merge min one range reverse "
            "setintersection setproduct setsubtract setunion slice sort sum transpose values zipmap "
        ),
        "conversion": (
            "ephemeralasnull issensitive nonsensitive sensitive tobool tolist tomap tonumber toset "
            "tostring "
        ),
        "crypto": "base64sha256 base64sha512 bcrypt md5 rsadecrypt sha1 sha256 sha512 uuid uuidv5",
        "datetime": "formatdate plantimestamp timeadd timecmp timestamp",
        "encoding": (
            "base64decode base64encode base64gzip csvdecode jsondecode jsonencode textdecodebase64 "
            "textencodebase64 urlencode yamldecode yamlencode "
        ),
        "errors": "can try",
        "files": (
            "abspath basename dirname file filebase64 filebase64sha256 filebase64sha512 fileexists "
            "filemd5 fileset filesha1 filesha256 filesha512 pathexpand templatefile templatestring "
        ),
        "network": "cidrhost cidrnetmask cidrsubnet cidrsubnets",
        "numeric": "abs ceil floor log parseint pow signum",
        "strings": (
            "chomp endswith format formatlist indent join lower regex regexall replace split "
            "startswith strcontains strrev substr title trim trimprefix trimspace trimsuffix upper "
        ),
    }.items()
    for name in names.split()
}
"""The submodule defining each function (tests/config/test_functions.py keeps it true): loading all
~120 functions cost every command ~10 ms of start-up, most configurations call a few."""


class Registry(Mapping[str, Func]):
    """Every function by name; a function's submodule is imported the first time it is looked up."""

    def __init__(self) -> None:
        self._loaded: dict[str, Func] = {}

    def __getitem__(self, name: str) -> Func:
        func = self._loaded.get(name)
        if func is None:
            __import__(f"{__name__}.{_MODULE_OF[name]}")  # KeyError: no such function
            func = self._loaded[name]
        return func

    def get(self, name: str, default: Func | None = None) -> Func | None:  # type: ignore[override]
        func = self._loaded.get(name)  # every call of a configuration's functions: kept short
        if func is None:
            return self[name] if name in _MODULE_OF else default
        return func

    def __contains__(self, name: object) -> bool:
        return name in _MODULE_OF

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULE_OF)

    def __len__(self) -> int:
        return len(_MODULE_OF)

    def add(self, name: str, func: Func) -> None:
        self._loaded[name] = func


FUNCTIONS = Registry()


def function(
    name: str,
    *params: Param | str,
    variadic: Param | str | None = None,
    nested_unknown: bool = False,
    marks: str = "deep",
    lazy: bool = False,
    volatile: bool = False,
) -> Callable[[Impl], Impl]:
    """Register the decorated implementation as ``name`` (and ``core::name``)."""

    def norm(p: Param | str) -> Param:
        return Param(p) if isinstance(p, str) else p

    def register(impl: Impl) -> Impl:
        f = Func(
            impl,
            tuple(norm(p) for p in params),
            norm(variadic) if variadic is not None else None,
            nested_unknown,
            marks,
            lazy,
            volatile,
            (impl.__doc__ or "").strip(),
        )
        FUNCTIONS.add(name, f)
        return impl

    return register


def lookup_function(ev: Evaluating, name: str) -> Func | None:
    if name.startswith("core::"):
        name = name[len("core::") :]
    return ev.ctx.extra_functions.get(name) or FUNCTIONS.get(name)


def call(ev: Evaluating, e: ast.FunctionCall, frame: Mapping[str, Any]) -> Any:
    from imgb.reconciler.config.context import EvalError

    func = lookup_function(ev, e.name)
    if func is None:
        if "::" in e.name and not e.name.startswith("core::"):
            detail = (
                f'There is no function named "{e.name}". Only Terraform\'s built-in functions (also as '
                "core::NAME) exist in imgb; provider-defined functions do not."
            )
        else:
            bare = e.name.removeprefix("core::")
            detail = f'There is no function named "{e.name}".{did_you_mean(bare, FUNCTIONS)}'
        raise EvalError("Call to unknown function", detail, e.pos)  # dynamic in HCL: try() and can() catch it
    n_min = len(func.params)
    n_max = None if func.variadic else len(func.params)
    if not e.expand_final:
        _check_count(e, func, len(e.args), n_min, n_max)
    c = Call(ev, e.pos, e.name.removeprefix("core::"), [a.pos for a in e.args], e.args)
    if func.lazy:
        return func.impl(c, [(a, frame) for a in e.args])
    args = [ev.eval(a, frame) for a in e.args]
    if e.expand_final and args:
        last, last_marked = args.pop(), False
        if isinstance(last, Marked):
            last, last_marked = last.value, True
        if isinstance(last, Unknown) or last is INVALID:
            return last
        if is_null(last):
            raise EvalError(
                "Invalid expanding argument value", "The expanding argument (indicated by ...) must not be null.",
                e.args[-1].pos,
            )
        if not isinstance(last, list):
            raise EvalError(
                "Invalid expanding argument value",
                f"The expanding argument (indicated by ...) must be of a tuple, list, or set type, not "
                f"{describe(last)}.",
                e.args[-1].pos,
            )
        last_pos = e.args[-1].pos
        args.extend(mark(v) if last_marked else v for v in last)
        c.arg_pos = c.arg_pos[:-1] + [last_pos] * len(last)
        _check_count(e, func, len(args), n_min, n_max)
    if any(is_invalid(a) for a in args):
        return INVALID
    marked = False
    if func.marks == "deep":
        unmarked = []
        for a in args:
            a, m = unmark_deep(a)
            unmarked.append(a)
            marked = marked or m
        args = unmarked
    elif func.marks == "shallow":
        unmarked = []
        for a in args:
            if isinstance(a, Marked):
                a, marked = a.value, True
            unmarked.append(a)
        args = unmarked
    converted: list[Any] = []
    for i, a in enumerate(args):
        p = func.params[i] if i < len(func.params) else func.variadic
        assert p is not None
        if isinstance(a, Unknown):
            if not p.allow_unknown:
                return a
            converted.append(a)
            continue
        if is_null(a) and not p.allow_null:
            raise EvalError(
                "Invalid function argument",
                f'Invalid value for "{p.name}" parameter: argument must not be null.',
                c.error_pos(i),
            )
        try:
            converted.append(convert(a, p.type) if p.type.kind != "any" else a)
        except ConversionError as exc:
            raise EvalError(
                "Invalid function argument", f'Invalid value for "{p.name}" parameter: {exc}.', c.error_pos(i)
            ) from None
    if not func.nested_unknown:
        unknown = deep_unknown(converted)
        if unknown is not None and not any(p.allow_unknown for p in (*func.params, func.variadic) if p):
            return unknown
    try:
        result = func.impl(c, converted)
        if func.volatile and isinstance(result, str):
            ev.ctx.volatile.append((c.name, e.pos, result))
    except FuncError as exc:
        names = [p.name for p in func.params] + [func.variadic.name if func.variadic else ""] * max(
            0, len(converted) - len(func.params)
        )
        if exc.arg is not None and exc.arg < len(names) and names[exc.arg]:
            raise EvalError(
                "Invalid function argument", f'Invalid value for "{names[exc.arg]}" parameter: {exc}.', c.error_pos(exc.arg)
            ) from None
        raise EvalError(
            "Error in function call", f'Call to function "{c.name}" failed: {exc}.', e.pos
        ) from None
    except (ConversionError, NumberError) as exc:
        raise EvalError("Error in function call", f'Call to function "{c.name}" failed: {exc}.', e.pos) from None
    return mark(result) if marked else result


def _check_count(e: ast.FunctionCall, func: Func, n: int, n_min: int, n_max: int | None) -> None:
    from imgb.reconciler.config.context import EvalError

    if n < n_min:
        missing = func.params[n].name
        raise EvalError(
            "Not enough function arguments",
            f'Function "{e.name}" expects {n_min} argument(s). Missing value for "{missing}".',
            e.pos,
        )
    if n_max is not None and n > n_max:
        raise EvalError(
            "Too many function arguments",
            f'Function "{e.name}" expects only {n_max} argument(s): {func.signature(e.name)}.',
            e.pos,
        )


# -- helpers shared by the implementations --------------------------------------------------------


def whole(v: Any, i: int | None = None) -> int:
    """A number argument that Go reads into an int64 (offsets, sizes, indexes)."""
    from imgb.reconciler.config import numbers

    n = numbers.to_int(v)
    if n is None or not -(2**63) <= n < 2**63:
        raise FuncError("value must be a whole number, between -9223372036854775808 and 9223372036854775807", None)
    return n


def seq(v: Any, i: int) -> list[Any]:
    """A list, set or tuple argument."""
    if not isinstance(v, list):
        raise FuncError(f"a list, set or tuple is required, got {describe(v)}", i)
    return v


def collection_type_name(v: Any) -> str:
    if isinstance(v, ListV):
        return "list"
    if isinstance(v, SetV):
        return "set"
    return "tuple" if isinstance(v, list) else "object"


__all__ = ["FUNCTIONS", "Call", "Func", "FuncError", "Param", "call", "function"]
