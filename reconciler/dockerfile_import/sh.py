"""Writing POSIX shell text for Image Builder's RUN, which runs ``/bin/sh -c`` on its arguments
with continuation lines (a trailing ``\\``) kept: the shell, not the parser, removes them.

Docker instead joins a RUN's continuation lines before the shell sees them (no newline, nothing
added), so the same physical layout can mean different things: inside single quotes a
``\\``-newline stays, after an unquoted ``#`` the comment swallows the rest of Docker's line but
stops at the newline for the shell. ``layout`` therefore starts from Docker's joined line and only
breaks it where a shell reads ``\\``-newline plus indentation as plain blanks.
"""

from __future__ import annotations

import re

_SAFE_WORD = re.compile(r"^[A-Za-z0-9._/:@%+=,~^-]+$")
_TRAILING_ESCAPE = re.compile(r"\\[ \t]*$")
_WORD_END = set(" \t;&|()<>")


# What Image Builder's parser (Python's str.splitlines) takes for line ends besides "\n".
LINE_BREAKS = frozenset("\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def has_line_breaks(text: str) -> bool:
    return any(c in LINE_BREAKS for c in text)


def one_line(command: str) -> str:
    """``command`` rebuilt by printf from octal escapes, for text holding characters Image
    Builder's parser would cut a line at (form feed, NEL, U+2028...): the shell evaluates the
    same text."""
    fmt = []
    for ch in command:
        if ch == "\\":
            fmt.append("\\\\")
        elif ch == "%":
            fmt.append("%%")
        elif ch == "'":
            fmt.append("'\\''")
        elif 32 <= ord(ch) < 127:
            fmt.append(ch)
        else:
            fmt += [f"\\{b:03o}" for b in ch.encode("utf-8")]
    return "eval \"$(printf '" + "".join(fmt) + "')\""


def single_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def quote(value: str) -> str:
    """A shell word for ``value``: bare when that is safe, else single-quoted."""
    return value if _SAFE_WORD.match(value) else single_quote(value)


def printf_lines(lines: list[str]) -> str:
    """``printf '%s\\n' 'line' ...``: prints ``lines`` exactly, one argument per output line."""
    if not lines:
        return "printf ''"
    return "printf '%s\\n' " + " \\\n    ".join(single_quote(ln) for ln in lines)


def write_bytes(text: str) -> str:
    """A command printing ``text`` exactly (its last line may lack a newline)."""
    lines = text.split("\n")
    tail = lines.pop()
    out = printf_lines(lines) if lines else ""
    if tail:
        last = "printf '%s' " + single_quote(tail)
        out = f"{{ {out}; {last}; }}" if out else last
    return out or "printf ''"


def script_command(script: str, shell: list[str]) -> str:
    """Run a multi-line ``script`` as ``shell`` (``sh -c``) would: Image Builder's RUN is one
    logical line, so the script is rebuilt with printf inside a command substitution."""
    lines = script.split("\n")
    while lines and lines[-1] == "":
        lines.pop()  # $(...) drops trailing newlines anyway
    return " ".join(quote(w) for w in shell) + ' "$(' + printf_lines(lines or [":"]) + ')"'


def _scan(text: str) -> list[bool]:
    """Per offset: could a line break (``\\``, newline, indentation) go just before it without
    changing what the shell reads? Only outside quotes, substitutions and comments, between words."""
    ok = [False] * (len(text) + 1)
    i = 0
    stack: list[str] = []  # open quotes, $( and ${: no breaks inside
    word_start = True
    n = len(text)
    while i < n:
        c = text[i]
        top = stack[-1] if stack else ""
        if not stack:
            prev_blank = i > 0 and text[i - 1] in " \t" and not _escaped(text, i - 1)
            here_blank = c in " \t"
            ok[i] = prev_blank or here_blank
        if top == "'":
            if c == "'":
                stack.pop()
            i += 1
            continue
        if c == "\\":
            i += 2
            word_start = False
            continue
        if top in ('"', "`"):
            if c == top:
                stack.pop()
            elif c == "$" and i + 1 < n and text[i + 1] in "({":
                stack.append(")" if text[i + 1] == "(" else "}")
                i += 1
            elif c == "`" and top == '"':
                stack.append("`")
            i += 1
            continue
        # normal text, at the top or inside $( ... ) / ${ ... }
        if c == "#" and word_start:
            if not stack:
                break  # a comment: Docker's line ends here, so may ours
            while i < n and text[i] != ")":
                i += 1
            continue
        if c in "'\"`":
            stack.append(c)
        elif c == "$" and i + 1 < n and text[i + 1] in "({":
            stack.append(")" if text[i + 1] == "(" else "}")
            i += 1
        elif stack and c == top:
            stack.pop()
        elif stack and c == "(" and top == ")":
            stack.append(")")
        word_start = c in _WORD_END or c in "\n"
        i += 1
    return ok


def _escaped(text: str, i: int) -> bool:
    k = 0
    while i - k - 1 >= 0 and text[i - k - 1] == "\\":
        k += 1
    return k % 2 == 1


def layout(line: str, breaks: list[int]) -> str:
    """Docker's joined RUN line, broken again at the continuation points ``breaks`` where that
    is safe, indented by four spaces, ending in a way Image Builder's parser does not continue."""
    ok = _scan(line)
    pieces: list[str] = []
    start = 0
    for b in sorted(set(breaks)):
        if b <= start or b >= len(line) or not ok[b]:
            continue
        head, rest = line[start:b].rstrip(" \t"), line[b:].lstrip(" \t")
        if not head or not rest or rest.startswith("#") or _TRAILING_ESCAPE.search(head):
            continue
        pieces.append(head)
        start = len(line) - len(rest)
    pieces.append(line[start:])
    text = " \\\n    ".join(pieces)
    return protect_end(text)


def protect_end(text: str) -> str:
    """Image Builder continues a line that ends with a backslash; the shell does not, in Docker's
    joined line. After escaped backslashes an empty quoted string ends the line; a lone last
    backslash (literal at the end of the shell's input) becomes a quoted one."""
    stripped = _strip_blanks(text)
    if not _TRAILING_ESCAPE.search(stripped):
        return stripped
    run = len(stripped) - len(stripped.rstrip("\\"))
    if run % 2:
        return stripped[:-1] + "'\\'"
    return stripped + "''"


def _strip_blanks(text: str) -> str:
    """Trailing blanks that are not escaped carry no meaning in the shell."""
    while text and text[-1] in " \t" and not _escaped(text, len(text) - 1):
        text = text[:-1]
    return text
