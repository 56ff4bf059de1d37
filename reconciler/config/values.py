"""Runtime values of the configuration language and the conversions operators and functions share.

Values are plain Python: ``str``, ``int``/``float`` (numbers), ``bool``, ``None`` (null), ``list``
(tuples, lists and sets), ``dict`` (objects and maps), ``unknown.Unknown`` (known after apply) and
``INVALID`` (an expression that already failed and was reported: it poisons quietly, so one
mistake yields one diagnostic, not a cascade).
"""

from __future__ import annotations

import json
import math
from typing import Any

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


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, Unknown):
        return "unknown"
    return type(value).__name__


def describe(value: Any) -> str:
    """A short rendering for messages: string "abc", number 3, list, object."""
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, bool):
        return f"bool {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"number {format_number(value)}"
    return type_name(value)


def normalize_number(value: int | float) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def format_number(value: int | float) -> str:
    value = normalize_number(value)
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return str(value)
        return repr(value)
    return str(value)


def parse_number(text: str) -> int | float | None:
    s = text.strip()
    if not s or s != text:
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        f = float(s)
    except ValueError:
        return None
    if math.isinf(f) or math.isnan(f):
        return None
    return normalize_number(f)


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ConversionError(f"a number is required, got {describe(value)}")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        n = parse_number(value)
        if n is not None:
            return n
    raise ConversionError(f"a number is required, got {describe(value)}")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise ConversionError(f"a bool is required, got {describe(value)}")


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if value is None:
        raise ConversionError("a string is required, got null")
    raise ConversionError(f"a string is required, got {describe(value)}")


def to_int(value: Any) -> int:
    n = to_number(value)
    if isinstance(n, float):
        raise ConversionError(f"a whole number is required, got {format_number(n)}")
    return n


def equal(a: Any, b: Any) -> bool:
    """Language equality: numbers by value, but a bool never equals a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if type_name(a) != type_name(b):
        return False
    return bool(a == b)


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
    if value is None or isinstance(value, Unknown) or value is INVALID:
        return []
    try:
        return [to_string(value)]
    except ConversionError:
        return []
