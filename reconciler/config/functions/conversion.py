"""Type conversion functions (tostring, tolist, ...) and sensitivity (sensitive, nonsensitive)."""

from __future__ import annotations

from typing import Any

from imgb.reconciler.config.convert import convert
from imgb.reconciler.config.functions import Call, FuncError, Param, function
from imgb.reconciler.config.marks import Marked, mark, strip
from imgb.reconciler.config.types import BOOL, DYNAMIC, NUMBER, STRING, Type, list_of, map_of, set_of
from imgb.reconciler.config.values import ConversionError, null_of, type_of


def _to(want: Type, a: list[Any]) -> Any:
    v = a[0]
    if v is None:
        return null_of(want)
    try:
        return convert(v, want)
    except ConversionError as exc:
        raise FuncError(_message(v, want, exc), 0) from None


def _message(v: Any, want: Type, exc: ConversionError) -> str:
    have = type_of(v)
    if isinstance(v, str) and want.kind == "number":
        return f'cannot convert "{v}" to number; given string must be a decimal representation of a number'
    if isinstance(v, str) and want.kind == "bool":
        return f'cannot convert "{v}" to bool; only the strings "true" or "false" are allowed'
    if want.kind in ("list", "set", "map") and want.elem == DYNAMIC:
        return f"cannot convert {have.friendly()} to {want.kind} of any single type"
    if have.kind in ("string", "number", "bool") and want.kind in ("string", "number", "bool"):
        return f"cannot convert {have.friendly()} to {want.friendly()}"
    if have.kind not in ("string", "number", "bool") and want.kind in ("string", "number", "bool"):
        return f"cannot convert {have.friendly()} to {want.friendly()}"
    return str(exc)


@function("tostring", Param("v", allow_null=True))
def f_tostring(c: Call, a: list[Any]) -> Any:
    return _to(STRING, a)


@function("tonumber", Param("v", allow_null=True))
def f_tonumber(c: Call, a: list[Any]) -> Any:
    return _to(NUMBER, a)


@function("tobool", Param("v", allow_null=True))
def f_tobool(c: Call, a: list[Any]) -> Any:
    return _to(BOOL, a)


@function("tolist", Param("v", allow_null=True), nested_unknown=True)
def f_tolist(c: Call, a: list[Any]) -> Any:
    return _to(list_of(DYNAMIC), a)


@function("toset", Param("v", allow_null=True), nested_unknown=True)
def f_toset(c: Call, a: list[Any]) -> Any:
    return _to(set_of(DYNAMIC), a)


@function("tomap", Param("v", allow_null=True), nested_unknown=True)
def f_tomap(c: Call, a: list[Any]) -> Any:
    return _to(map_of(DYNAMIC), a)


@function("sensitive", Param("value", allow_null=True, allow_unknown=True), marks="own", nested_unknown=True)
def f_sensitive(c: Call, a: list[Any]) -> Any:
    return mark(a[0])


@function("nonsensitive", Param("value", allow_null=True, allow_unknown=True), marks="own", nested_unknown=True)
def f_nonsensitive(c: Call, a: list[Any]) -> Any:
    return strip(a[0])


@function("issensitive", Param("value", allow_null=True, allow_unknown=True), marks="own", nested_unknown=True)
def f_issensitive(c: Call, a: list[Any]) -> Any:
    return isinstance(a[0], Marked)


@function("ephemeralasnull", Param("value", allow_null=True, allow_unknown=True), nested_unknown=True)
def f_ephemeralasnull(c: Call, a: list[Any]) -> Any:
    return a[0]  # imgb has no ephemeral values


