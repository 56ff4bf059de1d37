"""Values known only after apply (ids), and how they stand inside text.

An ``Unknown`` propagates through expressions: any operator or function given one returns one.
String templates are the exception the planner needs: interpolating an unknown into a string
yields text with a marker in its place, ``\\ue000component.nginx.id\\ue001``, so the plan can hash
the text (a marker is replaced by the hash of what it refers to) and apply can fill it in once
the id exists. Private-use code points cannot come from user input (the loader rejects them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

OPEN = "\ue000"
CLOSE = "\ue001"
_MARKER_RE = re.compile(OPEN + r"([^" + CLOSE + r"]*)" + CLOSE)


@dataclass(frozen=True)
class Unknown:
    """A value known after apply. ``ref`` is what it comes from: component.nginx.id."""

    ref: str

    def __str__(self) -> str:
        return marker(self.ref)


def marker(ref: str) -> str:
    return f"{OPEN}{ref}{CLOSE}"


def has_markers(text: str) -> bool:
    return OPEN in text


def refs_in(text: str) -> list[str]:
    """The references marked in ``text``, in order of appearance."""
    return _MARKER_RE.findall(text)


def substitute(text: str, value_of: Callable[[str], str]) -> str:
    """Replace each marker with ``value_of(ref)``."""
    return _MARKER_RE.sub(lambda m: value_of(m.group(1)), text)


def substitute_only(text: str, prefix: str, value_of: Callable[[str], str]) -> str:
    """Replace each marker whose reference starts with ``prefix`` with ``value_of(the rest)``;
    other markers stay."""
    return _MARKER_RE.sub(lambda m: value_of(m.group(1)[len(prefix) :]) if m.group(1).startswith(prefix) else m.group(0), text)


def display(text: str) -> str:
    """How a marked text reads in plans: the reference as the user wrote it."""
    return _MARKER_RE.sub(lambda m: "${" + m.group(1) + "}", text)
