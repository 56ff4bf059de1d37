"""Regular expressions as Terraform has them: RE2 syntax and semantics (Go's regexp), through the
``google-re2`` bindings: no lookaround or backreferences, ``$`` only at the very end, ``\\d`` ASCII
digits, ``\\pL`` and ``[[:alpha:]]`` classes. Repeated matching skips an empty match right after a
match, and ``$1``/``${name}`` in replacements expand as Go's ``Regexp.Expand`` does.

Loading the bindings costs a small command ~3 ms (a shared library), and most patterns in
configurations (``can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))``) mean the same to Python's
``re``: ``python_equivalent`` compiles those with ``re`` (``$`` as ``\\Z``), and everything outside
that subset goes to RE2 (tests/config/test_regexes.py compares the two on generated patterns)."""

from __future__ import annotations

import functools
import re
from typing import Any


class RegexError(Exception):
    pass


@functools.lru_cache(maxsize=512)
def compile_re2(pattern: str) -> Any:
    """``pattern`` compiled with RE2's meaning: a ``re.Pattern`` or an ``re2`` one, which answer alike."""
    rx = python_equivalent(pattern)
    if rx is not None:
        return rx
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
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


# -- the subset where re means what RE2 means -----------------------------------------------------
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")  # string.punctuation
_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_COUNT = re.compile(r"\{([0-9]{1,4})(,([0-9]{0,4}))?\}")
_GROUP_NAME = re.compile(r"\?P<([A-Za-z_][A-Za-z0-9_]*)>")


class _Outside(Exception):
    """The pattern uses something outside the subset."""


def python_equivalent(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` compiled by ``re`` when it is built only from printable ASCII literals, escaped
    punctuation, ``.``, plain bracket classes, groups (plain, ``(?:``, ``(?P<name>``), alternation,
    ``^``, ``$`` and quantifiers (counted ones on a single character or class, at most 1000), with
    no quantified group that can match empty (where backtracking and RE2 may capture differently);
    else None. A pattern either engine refuses is None too: RE2 words the error."""
    if not pattern.isascii():
        return None
    try:
        reader = _Subset(pattern)
        reader.alternation()
        if reader.i != len(pattern):
            raise _Outside
    except _Outside:
        return None
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a FutureWarning about a class is a pattern to leave to RE2
            return re.compile("".join(reader.out))
    except (re.error, Warning, RecursionError):
        return None


class _Subset:
    """A recursive-descent reader of the subset, writing the ``re`` pattern as it goes."""

    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0
        self.out: list[str] = []
        self.depth = 0

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def alternation(self) -> bool:
        """Reads alternatives up to ``)`` or the end; True when the whole can match empty."""
        nullable = self.sequence()
        while self.peek() == "|":
            self.out.append("|")
            self.i += 1
            nullable = self.sequence() or nullable
        return nullable

    def sequence(self) -> bool:
        nullable = True
        while self.peek() not in ("", "|", ")"):
            nullable = self.item() and nullable
        return nullable

    def item(self) -> bool:
        c = self.peek()
        if c in "^$":
            self.out.append("\\Z" if c == "$" else "^")
            self.i += 1
            if self.peek() in ("*", "+", "?", "{"):
                raise _Outside
            return True
        group = c == "("
        nullable = self.group() if group else self.single()
        q = self.peek()
        if q in ("*", "+", "?"):
            self.out.append(q)
            self.i += 1
            if group and nullable:
                raise _Outside
            nullable = nullable or q != "+"
        elif q == "{":
            m = _COUNT.match(self.p, self.i)
            if m is None or group:
                raise _Outside
            low = int(m.group(1))
            high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            if low > 1000 or (high is not None and (high > 1000 or high < low)):
                raise _Outside
            self.out.append(m.group())
            self.i = m.end()
            nullable = nullable or low == 0
        else:
            return nullable
        if self.peek() == "?":  # lazy
            self.out.append("?")
            self.i += 1
        if self.peek() in ("*", "+", "?", "{"):
            raise _Outside
        return nullable

    def group(self) -> bool:
        self.depth += 1
        if self.depth > 20:
            raise _Outside
        self.i += 1
        if self.p.startswith("?:", self.i):
            self.out.append("(?:")
            self.i += 2
        elif self.peek() == "?":
            m = _GROUP_NAME.match(self.p, self.i)
            if m is None:
                raise _Outside  # flags, lookaround, other group syntaxes
            self.out.append("(" + m.group())
            self.i = m.end()
        else:
            self.out.append("(")
        nullable = self.alternation()
        if self.peek() != ")":
            raise _Outside
        self.out.append(")")
        self.i += 1
        self.depth -= 1
        return nullable

    def single(self) -> bool:
        c = self.peek()
        if c == "[":
            self.bracket()
        elif c == "\\":
            self.escape()
        elif c == "." or (" " <= c <= "~" and c not in _SPECIAL):
            self.out.append(c)
            self.i += 1
        else:
            raise _Outside  # a stray quantifier, ), ], }, a control character
        return False

    def escape(self) -> None:
        nxt = self.p[self.i + 1 : self.i + 2]
        if not nxt or nxt not in _PUNCTUATION:
            raise _Outside  # \\d, \\w, \\b, \\pL, \\n ... differ or are RE2's own
        self.out.append("\\" + nxt)
        self.i += 2

    def bracket(self) -> None:
        end = self.i + 1
        if self.p.startswith("^", end):
            end += 1
        if self.p.startswith("]", end):
            raise _Outside  # a leading ] is literal in both, but rare: not worth the doubt
        j = end
        while j < len(self.p) and self.p[j] != "]":
            ch = self.p[j]
            if ch == "[" or not " " <= ch <= "~":
                raise _Outside  # [:alpha:] and nested sets
            if ch == "\\":
                if self.p[j + 1 : j + 2] not in _PUNCTUATION or j + 1 >= len(self.p):
                    raise _Outside
                j += 1
            elif self.p.startswith(("--", "&&", "~~", "||"), j):
                raise _Outside  # set operations to come in re
            j += 1
        if j >= len(self.p):
            raise _Outside
        body = self.p[end:j]
        if "-\\" in body or "\\-" in body.replace("\\\\", ""):
            raise _Outside  # a range to or from an escape
        self.out.append(self.p[self.i : j + 1])
        self.i = j + 1
