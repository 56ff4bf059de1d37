"""Runtime values of the configuration language: cty's values, kept as cheap Python objects.

| cty | Python |
| --- | --- |
| string | ``str`` (always NFC-normalised, as cty's StringVal does) |
| number | ``int`` below 2**512, else ``numbers.Num`` (see numbers.py) |
| bool | ``bool`` |
| tuple, object | plain ``list``, ``dict`` (what literals and ``for`` expressions make) |
| list, set, map | ``ListV``, ``SetV``, ``MapV``: subclasses of list/dict carrying their element type |
| null | ``None`` (of no particular type), ``Null(type)`` for a typed null |
| unknown | ``imgb.unknown.Unknown`` (known only after apply) |

``INVALID`` stands for an expression that already failed and was reported: it poisons quietly,
so one mistake yields one diagnostic, not a cascade. Code outside the language sees plain values
through ``plain()``.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from imgb.reconciler.config import numbers
from imgb.reconciler.config.marks import Marked
from imgb.reconciler.config.numbers import Num, format_number, is_number
from imgb.reconciler.config.types import (
    BOOL,
    DYNAMIC,
    NUMBER,
    STRING,
    Type,
    list_of,
    map_of,
    object_of,
    set_of,
    tuple_of,
)
from imgb.unknown import Unknown


class _Invalid:
    _instance: _Invalid | None = None

    def __new__(cls) -> _Invalid:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "INVALID"

    def __reduce__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


class ConversionError(Exception):
    """A value is not of (or convertible to) the type an operation needs. The message is a sentence
    fragment like 'a number is required, got string "abc"'."""


class ListV(list[Any]):
    """A cty list: elements of one type, ``ety``."""

    __slots__ = ("ety",)

    def __init__(self, items: Any = (), ety: Type = DYNAMIC):
        super().__init__(items)
        self.ety = ety

    def __reduce__(self) -> Any:
        return (ListV, (list(self), self.ety))


class SetV(list[Any]):
    """A cty set: distinct elements of one type, in cty's iteration order (``make_set``)."""

    __slots__ = ("ety",)

    def __init__(self, items: Any = (), ety: Type = DYNAMIC):
        super().__init__(items)
        self.ety = ety

    def __reduce__(self) -> Any:
        return (SetV, (list(self), self.ety))


class MapV(dict[str, Any]):
    """A cty map: string keys, values of one type, ``ety``."""

    __slots__ = ("ety",)

    def __init__(self, items: Any = (), ety: Type = DYNAMIC):
        super().__init__(items)
        self.ety = ety

    def __reduce__(self) -> Any:
        return (MapV, (dict(self), self.ety))


class Null:
    """A null of a known type (``tostring(null)``); a bare ``null`` is ``None``."""

    __slots__ = ("ty",)

    def __init__(self, ty: Type):
        self.ty = ty

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Null) and other.ty == self.ty

    def __hash__(self) -> int:
        return hash(("null", self.ty))

    def __repr__(self) -> str:
        return f"Null({self.ty})"

    def __reduce__(self) -> Any:
        return (Null, (self.ty,))


def null_of(ty: Type) -> Any:
    return None if ty.kind == "any" else Null(ty)


def is_null(v: Any) -> bool:
    return v is None or isinstance(v, Null)


def nfc(s: str) -> str:
    """cty keeps every string in Unicode normal form C."""
    if s.isascii() or unicodedata.is_normalized("NFC", s):
        return s
    return unicodedata.normalize("NFC", s)


def type_of(v: Any) -> Type:
    if isinstance(v, str):
        return STRING
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, int | Num):
        return NUMBER
    if v is None or isinstance(v, Unknown) or v is INVALID:
        return DYNAMIC
    if isinstance(v, Null):
        return v.ty
    if isinstance(v, Marked):
        return type_of(v.value)
    if isinstance(v, ListV):
        return list_of(v.ety)
    if isinstance(v, SetV):
        return set_of(v.ety)
    if isinstance(v, MapV):
        return map_of(v.ety)
    if isinstance(v, list | tuple):
        return tuple_of(tuple(type_of(x) for x in v))
    if isinstance(v, dict):
        return object_of({k: type_of(x) for k, x in v.items()})
    raise TypeError(f"not a language value: {v!r}")  # pragma: no cover


def type_name(value: Any) -> str:
    """The kind of value, for messages: string, number, bool, null, list, set, map, tuple, object."""
    if value is None:
        return "null"
    if isinstance(value, Unknown):
        return "unknown"
    t = type_of(value)
    return t.friendly()


def describe(value: Any) -> str:
    """A short rendering for messages: string "abc", number 3, list of string."""
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, bool):
        return f"bool {'true' if value else 'false'}"
    if is_number(value):
        return f"number {format_number(value)}"
    if value is None:
        return "null"
    if isinstance(value, Null):
        return f"null {value.ty.friendly()}"
    return type_name(value)


def parse_number(text: str) -> Any:
    """A string's number, as cty converts strings to numbers; None if it is not one."""
    return numbers.parse(text)


def to_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ConversionError(f"a number is required, got {describe(value)}")
    if is_number(value):
        return value
    if isinstance(value, str):
        n = numbers.parse(value)
        if n is not None:
            return n
    raise ConversionError(f"a number is required, got {describe(value)}")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ConversionError(f"a bool is required, got {describe(value)}")


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(value)
    if is_null(value):
        raise ConversionError("a string is required, got null")
    raise ConversionError(f"a string is required, got {describe(value)}")


def to_int(value: Any) -> int:
    n = to_number(value)
    i = numbers.to_int(n)
    if i is None:
        raise ConversionError(f"a whole number is required, got {format_number(n)}")
    return i


def equal(a: Any, b: Any) -> Any:
    """cty's Equals: values of different types are never equal (``[1] != tolist([1])``), numbers
    compare by value, a null equals only a null. Unknown when either side is unknown."""
    if isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    if is_null(a) or is_null(b):
        return is_null(a) and is_null(b)
    ta, tb = type_of(a), type_of(b)
    if ta != tb:
        return False
    return _equal_same_type(a, b)


def _equal_same_type(a: Any, b: Any) -> Any:
    if isinstance(a, Marked):
        a = a.value
    if isinstance(b, Marked):
        b = b.value
    if is_null(a) or is_null(b):
        return is_null(a) and is_null(b)
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return a if isinstance(a, Unknown) else b
    if isinstance(a, str) or isinstance(a, bool):
        return a == b
    if is_number(a):
        return numbers.compare(a, b) == 0
    if isinstance(a, SetV):
        return len(a) == len(b) and all(any(_equal_same_type(x, y) is True for y in b) for x in a)
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        unknown = None
        for x, y in zip(a, b, strict=True):
            r = _equal_same_type(x, y)
            if r is False:
                return False
            if isinstance(r, Unknown):
                unknown = r
        return unknown if unknown is not None else True
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return False
        unknown = None
        for k in a:
            r = _equal_same_type(a[k], b[k])
            if r is False:
                return False
            if isinstance(r, Unknown):
                unknown = r
        return unknown if unknown is not None else True
    return a == b  # pragma: no cover


def first_unknown(values: Any) -> Unknown | None:
    for v in values:
        if isinstance(v, Unknown):
            return v
    return None


def deep_unknown(value: Any) -> Unknown | None:
    """The first unknown anywhere inside ``value``."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        for v in value:
            u = deep_unknown(v)
            if u is not None:
                return u
    elif isinstance(value, dict):
        for v in value.values():
            u = deep_unknown(v)
            if u is not None:
                return u
    return None


def is_invalid(value: Any) -> bool:
    if value is INVALID:
        return True
    if isinstance(value, list):
        return any(is_invalid(v) for v in value)
    if isinstance(value, dict):
        return any(is_invalid(v) for v in value.values())
    return False


def leaf_strings(value: Any) -> list[str]:
    """Every scalar inside ``value`` as a string (for masking sensitive values)."""
    if isinstance(value, list):
        return [s for v in value for s in leaf_strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in leaf_strings(v)]
    if is_null(value) or isinstance(value, Unknown) or value is INVALID:
        return []
    try:
        return [to_string(value)]
    except ConversionError:
        return []


def plain(value: Any) -> Any:
    """The value as plain JSON-like Python for code outside the language (state, plans, the model):
    numbers become int or float, typed nulls None, typed collections list and dict."""
    if isinstance(value, str | bool | int) or value is None:
        return value
    if isinstance(value, Num):
        return numbers.plain(value)
    if isinstance(value, Null):
        return None
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def elements(coll: Any) -> list[tuple[Any, Any]]:
    """(key, value) pairs of a collection in cty's iteration order: lists and tuples by index, sets
    by their order with each element as its own key, maps and objects by sorted key."""
    if isinstance(coll, SetV):
        return [(v, v) for v in coll]
    if isinstance(coll, list):
        return list(enumerate(coll))
    if isinstance(coll, dict):
        return [(k, coll[k]) for k in sorted(coll)]
    raise ConversionError(f"a collection is required, got {describe(coll)}")
