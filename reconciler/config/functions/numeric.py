"""Numeric functions. abs, ceil, floor and signum are exact; log and pow compute in float64, as
Terraform does (their results print with float64 precision)."""

from __future__ import annotations

import math
import string
from typing import Any

from imgb.reconciler.config import numbers
from imgb.reconciler.config.functions import Call, FuncError, Param, function, whole
from imgb.reconciler.config.types import NUMBER
from imgb.reconciler.config.values import type_of

N = Param("num", NUMBER)


@function("abs", N)
def f_abs(c: Call, a: list[Any]) -> Any:
    return numbers.absolute(a[0])


@function("ceil", N)
def f_ceil(c: Call, a: list[Any]) -> Any:
    return numbers.ceil(a[0])


@function("floor", N)
def f_floor(c: Call, a: list[Any]) -> Any:
    return numbers.floor(a[0])


@function("signum", N)
def f_signum(c: Call, a: list[Any]) -> Any:
    return numbers.sign(whole(a[0]))


@function("log", N, Param("base", NUMBER))
def f_log(c: Call, a: list[Any]) -> Any:
    x, b = float(a[0]), float(a[1])
    try:
        lx = math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
        lb = math.log(b) if b > 0 else (-math.inf if b == 0 else math.nan)
        r = lx / lb if lb != 0 else (math.copysign(math.inf, lx) if lx != 0 else math.nan)
    except (OverflowError, ZeroDivisionError):  # pragma: no cover
        r = math.nan
    if math.isnan(r):
        raise FuncError("the result is not a number")
    return numbers.from_float(r)


@function("pow", N, Param("power", NUMBER))
def f_pow(c: Call, a: list[Any]) -> Any:
    x, y = float(a[0]), float(a[1])
    try:
        r = math.pow(x, y)
    except OverflowError:
        r = math.inf if x > 0 or float(y).is_integer() and int(y) % 2 == 0 else -math.inf
    except ValueError:
        if x == 0 and y < 0:
            r = math.inf
        else:
            raise FuncError("the result is not a number") from None
    return numbers.from_float(r)


_DIGITS = string.digits + string.ascii_lowercase + string.ascii_uppercase


@function("parseint", Param("number"), Param("base", NUMBER))
def f_parseint(c: Call, a: list[Any]) -> Any:
    v, base_n = a
    if not isinstance(v, str):
        raise FuncError(f"first argument must be a string, not {type_of(v).friendly()}", 0)
    base = numbers.to_int(base_n)
    if base is None or not 2 <= base <= 62:
        raise FuncError("base must be a whole number between 2 and 62 inclusive", 1)
    text = v
    neg = text.startswith("-")
    body = text[1:] if text[:1] in "+-" else text
    if not body:
        raise FuncError(f"cannot parse {v!r} as a base {base} integer".replace("'", '"'), 0)
    digits = _DIGITS if base > 36 else _DIGITS[:36]
    total = 0
    for ch in body:
        d = digits.find(ch if base > 36 else ch.lower())
        if d < 0 or d >= base:
            raise FuncError(f'cannot parse "{v}" as a base {base} integer', 0)
        total = total * base + d
    return numbers.from_int(-total if neg else total)
