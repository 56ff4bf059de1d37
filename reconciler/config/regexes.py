"""Regular expressions as Terraform has them: RE2 syntax and semantics (Go's regexp), through the
``google-re2`` bindings: no lookaround or backreferences, ``$`` only at the very end, ``\\d`` ASCII
digits, ``\\pL`` and ``[[:alpha:]]`` classes. Repeated matching skips an empty match right after a
match, and ``$1``/``${name}`` in replacements expand as Go's ``Regexp.Expand`` does."""

from __future__ import annotations

import functools
import re
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


class RegexError(Exception):
    pass


@functools.lru_cache(maxsize=512)
def compile_re2(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        msg = exc.args[0] if exc.args else str(exc)
        if isinstance(msg, bytes):
            msg = msg.decode("utf-8", "replace")
        raise RegexError(f"invalid regular expression pattern: {msg}") from None


def find_all(rx: Any, text: str) -> list[Any]:
    """Every match, as Go's FindAll: an empty match right after the previous match is skipped."""
    out: list[Any] = []
    pos = 0
    prev_end = -1
    n = len(text)
    while pos <= n:
        m = rx.search(text, pos)
        if m is None:
            break
        start, end = m.span()
        accept = True
        if end == start:
            if start == prev_end:
                accept = False
            pos = end + 1
        else:
            pos = end
        prev_end = end
        if accept:
            out.append(m)
    return out


_NAME_RE = re.compile(r"\$(?:\{([A-Za-z0-9_]*)\}|([A-Za-z0-9_]+)|(\$))")


def expand(template: str, rx: Any, m: Any) -> str:
    """Go's Regexp.Expand: ``$1``, ``${1}``, ``$name``, ``${name}`` (the longest name: ``$1x`` is
    the group "1x"); an unknown or unmatched group is empty; ``$$`` is ``$``."""
    out: list[str] = []
    i = 0
    while True:
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        mm = _NAME_RE.match(template, j)
        if mm is None or (mm.group(1) is not None and mm.group(1) == ""):
            out.append("$")  # not a valid reference: Go keeps the "$" as it is
            i = j + 1
            continue
        if mm.group(3):
            out.append("$")
        else:
            name = mm.group(1) if mm.group(1) is not None else mm.group(2)
            out.append(_group(rx, m, name))
        i = mm.end()
    return "".join(out)


def _group(rx: Any, m: Any, name: str) -> str:
    if name.isdigit():
        idx = int(name)
        if idx > rx.groups:
            return ""
    else:
        idx = rx.groupindex.get(name, -1)
        if idx < 0:
            return ""
    g = m.group(idx)
    return g if g is not None else ""


def replace_all(rx: Any, text: str, template: str) -> str:
    out: list[str] = []
    last = 0
    for m in find_all(rx, text):
        out.append(text[last : m.start()])
        out.append(expand(template, rx, m))
        last = m.end()
    out.append(text[last:])
    return "".join(out)
