"""Text the way Terraform's Go libraries treat it: Go's ``unicode.IsSpace``, Go's simple case
mapping (``upper("straße")`` is ``"STRAßE"``, not ``"STRASSE"``), ``strings.Title``'s word rule,
``strconv.Quote``, and extended grapheme clusters for what a "character" is (``length``,
``substr``, ``strrev``)."""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
"""Go's unicode.IsSpace (Python's isspace also counts \\x1c-\\x1f)."""

@functools.cache
def _grapheme_re() -> Any:
    import regex  # only for non-ASCII text

    return regex.compile(r"\X")


def graphemes(s: str) -> list[str]:
    if s.isascii() and "\r\n" not in s:
        return list(s)
    return list(_grapheme_re().findall(s))


def grapheme_count(s: str) -> int:
    if s.isascii() and "\r\n" not in s:
        return len(s)
    return len(_grapheme_re().findall(s))


@functools.lru_cache(maxsize=4096)
def _simple(c: str, how: str) -> str:
    """Go's unicode.ToUpper/ToLower/ToTitle of one character (UnicodeData's simple mapping).
    Python maps with SpecialCasing too; where that gives several characters, the simple mapping is
    the single-character titlecase form when there is one (the Greek letters with a subscript
    iota), else for lower case U+0130's ``i``, else the character itself."""
    mapped = getattr(c, how)()
    if len(mapped) == 1:
        return mapped
    if how == "lower":
        return "i" if c == "\u0130" else c
    titled = c.title()
    return titled if len(titled) == 1 and how in ("upper", "title") else c


def go_upper(s: str) -> str:
    if s.isascii():
        return s.upper()
    return "".join(_simple(c, "upper") for c in s)


def go_lower(s: str) -> str:
    if s.isascii():
        return s.lower()
    return "".join(_simple(c, "lower") for c in s)  # per character: no final-sigma rule, as Go


def _is_separator(c: str) -> bool:
    if c <= "\x7f":
        return not (c.isalnum() or c == "_")
    cat = unicodedata.category(c)
    if cat.startswith("L") or cat == "Nd":
        return False
    return c in GO_SPACE


def go_title(s: str) -> str:
    """strings.Title: the first letter of each word in title case; words are separated by white
    space and ASCII punctuation."""
    out: list[str] = []
    prev = " "
    for c in s:
        out.append(_simple(c, "title") if _is_separator(prev) else c)
        prev = c
    return "".join(out)


_QUOTE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal; printable characters stay as they are."""
    out = ['"']
    for c in s:
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif c in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[c])
        else:
            o = ord(c)
            if o < 0x20 or o == 0x7F:
                out.append(f"\\x{o:02x}")
            elif o < 0x10000:
                out.append(f"\\u{o:04x}")
            else:
                out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)
