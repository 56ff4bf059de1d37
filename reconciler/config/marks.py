"""Sensitive values: cty's "sensitive" mark. ``Marked(v)`` is ``v`` marked sensitive; operations on
a marked value give marked results (``sensitive(1) + 1``), and a marked element stays marked inside
its collection (``[sensitive(1), 2]``). Code outside the language never sees marks: ``unmark_deep``."""

from __future__ import annotations

from typing import Any


class Marked:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return f"Marked({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Marked) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("marked", repr(self.value)))

    def __reduce__(self) -> Any:
        return (Marked, (self.value,))


def mark(value: Any) -> Any:
    return value if isinstance(value, Marked) else Marked(value)


def unmark(value: Any) -> tuple[Any, bool]:
    """The value without its top-level mark, and whether it had one."""
    if isinstance(value, Marked):
        return value.value, True
    return value, False


def has_deep_mark(value: Any) -> bool:
    if isinstance(value, Marked):
        return True
    if isinstance(value, list):
        return any(has_deep_mark(v) for v in value)
    if isinstance(value, dict):
        return any(has_deep_mark(v) for v in value.values())
    return False


def unmark_deep(value: Any) -> tuple[Any, bool]:
    """The value with every mark inside it removed, and whether there was one."""
    if isinstance(value, Marked):
        return unmark_deep(value.value)[0], True
    if isinstance(value, list) and has_deep_mark(value):
        items = [unmark_deep(v)[0] for v in value]
        out = type(value).__new__(type(value))
        list.__init__(out, items)
        if hasattr(value, "ety"):
            out.ety = value.ety  # type: ignore[attr-defined]
        return out, True
    if isinstance(value, dict) and has_deep_mark(value):
        out_d = type(value).__new__(type(value))
        dict.__init__(out_d, {k: unmark_deep(v)[0] for k, v in value.items()})
        if hasattr(value, "ety"):
            out_d.ety = value.ety  # type: ignore[attr-defined]
        return out_d, True
    return value, False


def strip(value: Any) -> Any:
    return unmark_deep(value)[0]


def remark(value: Any, marked: bool) -> Any:
    return mark(value) if marked else value
