"""Flattened RPC parameters (``X.N``, ``X.N.Key``, ``Obj.Sub``) back into Python values."""

from __future__ import annotations

import re

from .errors import bad

Params = dict[str, str]


def get(p: Params, name: str, default: str | None = None) -> str | None:
    v = p.get(name)
    return default if v is None or v == "" else v


def require(p: Params, name: str) -> str:
    v = get(p, name)
    if v is None:
        raise bad(f"MissingParameter.{name}", f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')
    return v


def boolean(p: Params, name: str, default: bool) -> bool:
    v = get(p, name)
    if v is None:
        return default
    if v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise bad(f"InvalidParameter.{name}", f'The specified parameter "{name}" is not valid.')


def integer(p: Params, name: str, default: int | None) -> int | None:
    v = get(p, name)
    if v is None:
        return default
    try:
        return int(v)
    except ValueError:
        raise bad(f"InvalidParameter.{name}", f'The specified parameter "{name}" is not an integer.') from None


def listed(p: Params, name: str) -> list[str]:
    """``Name.1``, ``Name.2``… in index order."""
    rx = re.compile(re.escape(name) + r"\.(\d+)$")
    found = sorted((int(m.group(1)), v) for k, v in p.items() if (m := rx.match(k)))
    return [v for _, v in found]


def pairs(p: Params, name: str) -> list[tuple[str, str]]:
    """``Name.N.Key`` / ``Name.N.Value`` pairs in index order."""
    rx = re.compile(re.escape(name) + r"\.(\d+)\.(Key|Value)$")
    items: dict[int, dict[str, str]] = {}
    for k, v in p.items():
        m = rx.match(k)
        if m:
            items.setdefault(int(m.group(1)), {})[m.group(2)] = v
    return [(items[i].get("Key", ""), items[i].get("Value", "")) for i in sorted(items)]
