"""Quoting and variables in Dockerfile arguments: where quotes are open, Docker's ``$VAR``
substitution, and quoting values back for the shell."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_VAR = re.compile(r"\$(?:(" + _NAME + r")|\{(" + _NAME + r")(?:(:?[-+])([^}]*))?\})")
_BRACED_OTHER = re.compile(r"\$\{(" + _NAME + r")[^}]*\}")
_SHELL_SAFE = re.compile(r"^[A-Za-z0-9._/:@%+=,~^-]*$")


def quote_states(text: str, escape: str = "\\") -> list[str]:
    """Per character: "" outside quotes, "'" inside single quotes, '"' inside double quotes;
    "\\" for a character escaped by the escape character (and for the escape character itself)."""
    states: list[str] = []
    q = ""
    i = 0
    while i < len(text):
        c = text[i]
        if q != "'" and c == escape and i + 1 < len(text):
            states += ["\\", "\\"]
            i += 2
            continue
        if q == "" and c in "'\"":
            states.append(q)
            q = c
        elif q and c == q:
            q = ""
            states.append(q)
        else:
            states.append(q)
        i += 1
    return states


def unquoted(text: str) -> set[int]:
    """Positions in ``text`` outside quotes and not escaped."""
    return {i for i, s in enumerate(quote_states(text)) if s == ""}


def balanced(text: str) -> bool:
    """No quote is left open at the end of ``text``."""
    q = ""
    i = 0
    while i < len(text):
        c = text[i]
        if q != "'" and c == "\\":
            i += 2
            continue
        if q == "" and c in "'\"":
            q = c
        elif q and c == q:
            q = ""
        i += 1
    return q == ""


@dataclass
class Substitution:
    text: str
    used: set[str] = field(default_factory=set)
    """Variable names that were replaced."""
    unknown: set[str] = field(default_factory=set)
    """Referenced names with no known value (left as written)."""
    unsupported: set[str] = field(default_factory=set)
    """``${name...}`` forms other than ``:-``, ``:+``, ``-`` and ``+`` (left as written)."""


def substitute(
    text: str,
    values: Mapping[str, str | None],
    *,
    escape: str = "\\",
    skip_single_quoted: bool = False,
    keep: Callable[[str], bool] | None = None,
) -> Substitution:
    """Docker's variable substitution: ``$name``, ``${name}``, ``${name:-word}``, ``${name:+word}``
    (and ``-``/``+`` without the colon). ``values`` maps known names to their value (None: declared
    without a value, which substitutes as empty). ``keep(name)`` true leaves that reference alone.
    With ``skip_single_quoted`` (shell text), references inside single quotes stay as written,
    since the shell would not expand them either."""
    states = quote_states(text, escape)
    out: list[str] = []
    result = Substitution("")
    i = 0
    while i < len(text):
        c = text[i]
        if c == escape and states[i] == "\\" and i + 1 < len(text) and text[i + 1] == "$" and not skip_single_quoted:
            out.append("$")  # Docker: \$ is a literal dollar
            i += 2
            continue
        if c != "$" or states[i] == "\\" or (skip_single_quoted and states[i] == "'"):
            out.append(c)
            i += 1
            continue
        m = _VAR.match(text, i)
        if m is None:
            other = _BRACED_OTHER.match(text, i)
            if other and other.group(1) in values and not (keep and keep(other.group(1))):
                result.unsupported.add(other.group(1))
            out.append(c)
            i += 1
            continue
        name = m.group(1) or m.group(2)
        if keep is not None and keep(name):
            out.append(m.group(0))
        else:
            out.append(_expand(m, values, result))
        i = m.end()
    result.text = "".join(out)
    return result


def _expand(m: re.Match[str], values: Mapping[str, str | None], result: Substitution) -> str:
    name = m.group(1) or m.group(2)
    if name not in values:
        result.unknown.add(name)
        return m.group(0)
    value = values[name]
    op, word = m.group(3), m.group(4) or ""
    is_set, non_empty = value is not None, bool(value)
    if op == ":-":
        value = value if non_empty else word
    elif op == "-":
        value = value if is_set else word
    elif op == ":+":
        value = word if non_empty else ""
    elif op == "+":
        value = word if is_set else ""
    result.used.add(name)
    return value or ""


def docker_words(text: str, values: Mapping[str, str | None], escape: str = "\\") -> tuple[list[str], Substitution]:
    """Split arguments into words as Docker does for ENV, LABEL, COPY, WORKDIR...: quotes removed,
    the escape character honoured, variables substituted outside single quotes."""
    words: list[str] = []
    result = Substitution("")
    cur: list[str] = []
    in_word = False
    q = ""
    i = 0
    while i < len(text):
        c = text[i]
        if q == "'":
            if c == "'":
                q = ""
            else:
                cur.append(c)
            i += 1
            continue
        if c == escape and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "\n":  # a continuation line: Docker joins the lines before splitting words
                i += 2
                continue
            if q == '"' and nxt not in ('"', "$", escape):
                cur.append(c)
                i += 1
                continue
            cur.append(nxt)
            in_word = True
            i += 2
            continue
        if c == "$":
            m = _VAR.match(text, i)
            if m is not None:
                cur.append(_expand(m, values, result))
                in_word = True
                i = m.end()
                continue
            other = _BRACED_OTHER.match(text, i)
            if other is not None and other.group(1) in values:
                result.unsupported.add(other.group(1))
        if q == "" and c in "'\"":
            q = c
            in_word = True
        elif q == '"' and c == '"':
            q = ""
        elif q == "" and c.isspace():
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
        else:
            cur.append(c)
            in_word = True
        i += 1
    if in_word:
        words.append("".join(cur))
    return words, result


def shell_safe(value: str) -> bool:
    """The value means the same written bare in shell text as expanded from a variable."""
    return bool(_SHELL_SAFE.match(value))


def single_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def heredoc_line_as_double_quoted(line: str) -> str:
    """A line of an unquoted-delimiter heredoc as a double-quoted shell word that expands the same
    (``$x``, ``$(...)``, backquotes and the backslash escapes the heredoc honours)."""
    out = ['"']
    i = 0
    while i < len(line):
        c = line[i]
        nxt = line[i + 1] if i + 1 < len(line) else ""
        if c == "\\" and nxt in ("$", "`", "\\"):
            out.append(c + nxt)
            i += 2
            continue
        if c == "\\" and nxt == '"':
            out.append('\\\\\\"')  # a literal backslash and quote in the heredoc
            i += 2
            continue
        out.append('\\"' if c == '"' else c)
        i += 1
    out.append('"')
    return "".join(out)


def printf_lines(lines: list[str], quoted: bool) -> str:
    """``printf '%s\\n' ...`` writing ``lines``: single-quoted words when the heredoc delimiter
    was quoted (no expansion), double-quoted words that expand like the heredoc otherwise."""
    words = [single_quote(ln) if quoted else heredoc_line_as_double_quoted(ln) for ln in lines]
    return "printf '%s\\n' " + " \\\n    ".join(words)
