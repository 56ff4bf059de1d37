"""`imgb fmt`: canonical layout of HCL files, the way `terraform fmt` (hclwrite) lays them out.

Only whitespace changes. The text is cut into tokens; strings, heredocs and comments are opaque
tokens kept byte for byte (bar trailing blanks in comments). Then, as hclwrite does:

* each line is indented two spaces per open bracket level (counted per line, so a line that
  opens two brackets indents the next ones once);
* spaces between tokens follow fixed rules (one around ``=`` and binary operators, none inside
  brackets, none around ``.``, ``{ a = 1 }`` for braces);
* in a run of consecutive lines that each assign a whole single-line value (``name = value``,
  a heredoc counts as single-line), the ``=`` signs line up; trailing comments line up likewise.

On top of hclwrite: at most one blank line in a row, none right after an opening bracket or
before a closing one, none at the start or end, and exactly one final newline.

Before returning, the result is re-tokenized and compared with the input: if anything but
whitespace differs, the input is reported instead of rewritten. So a formatter bug can cost a
reformat, never a changed configuration.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from enum import Enum, auto
from pathlib import Path

from imgb.diagnostics import Diagnostics, SourcePos


class _T(Enum):
    NEWLINE = auto()
    LINE_COMMENT = auto()
    BLOCK_COMMENT = auto()
    STRING = auto()
    HEREDOC = auto()
    IDENT = auto()
    NUMBER = auto()
    OPEN = auto()
    CLOSE = auto()
    EQUAL = auto()
    COMMA = auto()
    DOT = auto()
    ELLIPSIS = auto()
    MINUS = auto()
    BANG = auto()
    OP = auto()


@dataclass(frozen=True)
class _Tok:
    kind: _T
    text: str
    line: int


class _LexError(Exception):
    def __init__(self, line: int, summary: str, detail: str):
        super().__init__(summary)
        self.line = line
        self.summary = summary
        self.detail = detail


_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HEREDOC_RE = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_OPERATORS = (
    "...",
    "==",
    "!=",
    "<=",
    ">=",
    "&&",
    "||",
    "=>",
    "=",
    "!",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "?",
    ":",
)
_OPEN = "{[("
_CLOSE = "}])"


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            toks.append(_Tok(_T.NEWLINE, "\n", line))
            line += 1
            i += 1
        elif c in " \t\r\ufeff":
            i += 1
        elif c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            toks.append(_Tok(_T.LINE_COMMENT, text[i:end].rstrip(), line))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _LexError(
                    line, "Unterminated comment", "A /* comment is never closed with */. Close it."
                )
            body = text[i : end + 2]
            toks.append(_Tok(_T.BLOCK_COMMENT, "\n".join(s.rstrip() for s in body.split("\n")), line))
            line += body.count("\n")
            i = end + 2
        elif c == '"':
            end = _string_end(text, i, line)
            body = text[i:end]
            toks.append(_Tok(_T.STRING, body, line))
            line += body.count("\n")
            i = end
        elif text.startswith("<<", i):
            m = _HEREDOC_RE.match(text, i)
            if not m:
                raise _LexError(
                    line,
                    "Invalid heredoc",
                    "A heredoc starts with <<MARKER or <<-MARKER followed by a new line. Fix the opening line.",
                )
            end = _heredoc_end(text, m.end(), m.group(2), line)
            body = text[i:end]
            toks.append(_Tok(_T.HEREDOC, body, line))
            line += body.count("\n")
            i = end
        elif c.isdigit():
            m = _NUMBER_RE.match(text, i)
            assert m is not None
            toks.append(_Tok(_T.NUMBER, m.group(0), line))
            i = m.end()
        elif c.isalpha() or c == "_":
            m = _IDENT_RE.match(text, i)
            word = m.group(0) if m else c
            toks.append(_Tok(_T.IDENT, word, line))
            i += len(word)
        elif c in _OPEN:
            toks.append(_Tok(_T.OPEN, c, line))
            i += 1
        elif c in _CLOSE:
            toks.append(_Tok(_T.CLOSE, c, line))
            i += 1
        elif c == ",":
            toks.append(_Tok(_T.COMMA, c, line))
            i += 1
        elif c == "." and not text.startswith("...", i):
            toks.append(_Tok(_T.DOT, c, line))
            i += 1
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise _LexError(
                    line, "Invalid character", f"The character {c!r} cannot appear here in HCL. Remove it."
                )
            kind = {"=": _T.EQUAL, "-": _T.MINUS, "!": _T.BANG, "...": _T.ELLIPSIS}.get(op, _T.OP)
            toks.append(_Tok(kind, op, line))
            i += len(op)
    return toks


def _string_end(text: str, i: int, line: int) -> int:
    """Index just past the quoted string starting at ``text[i] == '"'``; interpolations may nest."""
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
        elif c == '"':
            return j + 1
        elif c == "\n":
            break
        elif text.startswith(("$${", "%%{"), j):
            j += 3
        elif text.startswith(("${", "%{"), j):
            j = _interp_end(text, j + 2, line)
        else:
            j += 1
    raise _LexError(
        line, "Unterminated string", 'A quoted string is not closed on its line. Add the closing ".'
    )


def _interp_end(text: str, j: int, line: int) -> int:
    depth = 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == '"':
            j = _string_end(text, j, line)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise _LexError(
        line, "Unterminated interpolation", "A ${ ... } sequence is never closed with }. Close it."
    )


def _heredoc_end(text: str, body_start: int, marker: str, line: int) -> int:
    """Index of the end of the closing marker line (before its newline)."""
    pos = body_start
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        if text[pos:end].strip() == marker:
            return end
        if nl < 0:
            break
        pos = nl + 1
    raise _LexError(
        line,
        "Unterminated heredoc",
        f"The heredoc opened with <<{marker} has no closing line {marker}. Add a line with only {marker}.",
    )


# ---------------------------------------------------------------------------------------------
# layout


def _bracket_change(tok: _Tok) -> int:
    return 1 if tok.kind is _T.OPEN else -1 if tok.kind is _T.CLOSE else 0


def _unary_context(before: _Tok | None) -> bool:
    """Whether a minus after ``before`` is a negation (no space after it): at the start, or after
    an opening bracket, a separator or another operator."""
    return before is None or before.kind in (_T.OPEN, _T.EQUAL, _T.COMMA, _T.MINUS, _T.BANG, _T.OP)


def _space_between(before: _Tok | None, subject: _Tok, after: _Tok) -> bool:
    """hclwrite's spaceAfterToken, for imgb's coarser tokens (templates are opaque)."""
    if after.kind is _T.DOT or subject.kind is _T.DOT:
        return False
    if after.kind in (_T.COMMA, _T.ELLIPSIS):
        return False
    if subject.kind is _T.COMMA:
        return True
    if (
        subject.kind is _T.IDENT
        and subject.text in ("in", "if")
        and before is not None
        and before.kind in (_T.IDENT, _T.NUMBER, _T.STRING, _T.CLOSE)
        and after.kind is not _T.CLOSE
    ):
        return True  # the for-expression keywords, not a function call or an index
    if subject.kind is _T.IDENT and after.kind is _T.OPEN and after.text == "(":
        return False
    if (
        after.kind is _T.OPEN
        and after.text == "["
        and (subject.kind in (_T.IDENT, _T.NUMBER, _T.STRING) or subject.kind is _T.CLOSE)
    ):
        return False
    if subject.kind is _T.MINUS:
        return not _unary_context(before)
    if subject.kind is _T.BANG:
        return False
    if subject.text == "{" and after.text == "}":
        return False
    if subject.text == "{" or after.text == "}":
        return True
    if subject.kind is _T.OPEN:
        return False
    if after.kind is _T.CLOSE:
        return False
    return True


@dataclass
class _Line:
    lead: list[_Tok]
    assign: list[_Tok]
    comment: _Tok | None
    indent: int = 0

    @property
    def blank(self) -> bool:
        return not self.lead and not self.assign and self.comment is None


def _split_lines(toks: list[_Tok]) -> list[_Line]:
    lines: list[_Line] = []
    current: list[_Tok] = []
    for tok in [*toks, _Tok(_T.NEWLINE, "\n", 0)]:
        if tok.kind is _T.NEWLINE:
            comment = None
            if len(current) > 1 and current[-1].kind is _T.LINE_COMMENT:
                comment = current.pop()
            lead, assign = current, []
            for k, t in enumerate(current):
                if k > 0 and t.kind is _T.EQUAL:
                    if sum(_bracket_change(x) for x in current[k:]) == 0:
                        lead, assign = current[:k], current[k:]
                    break
            lines.append(_Line(lead, assign, comment))
            current = []
        else:
            current.append(tok)
    return lines


def _indent(lines: list[_Line]) -> None:
    stack: list[int] = []
    for line in lines:
        if line.blank:
            continue
        net = sum(_bracket_change(t) for t in (*line.lead, *line.assign))
        if net < 0:
            closed = -net
            while closed > 0 and stack:
                if closed >= stack[-1]:
                    closed -= stack.pop()
                else:
                    stack[-1] -= closed
                    closed = 0
        line.indent = 2 * len(stack)
        if net > 0:
            stack.append(net)


def _render(toks: list[_Tok], before: _Tok | None = None) -> str:
    out: list[str] = []
    prev = before
    prev2: _Tok | None = None
    for tok in toks:
        if out and prev is not None and _space_between(prev2, prev, tok):
            out.append(" ")
        out.append(tok.text)
        prev2, prev = prev, tok
    return "".join(out)


def _width(text: str) -> int:
    return len(text.rsplit("\n", 1)[-1])


def _layout(lines: list[_Line]) -> list[str]:
    leads = [" " * line.indent + _render(line.lead) for line in lines]
    assigns = [_render(line.assign) for line in lines]
    # Align "=" across runs of consecutive assignment lines.
    pad = [1] * len(lines)
    start = None
    for k in range(len(lines) + 1):
        if k < len(lines) and lines[k].assign:
            start = k if start is None else start
            continue
        if start is not None:
            widest = max(_width(leads[j]) for j in range(start, k))
            for j in range(start, k):
                pad[j] = widest - _width(leads[j]) + 1
            start = None
    bodies = [leads[k] + (" " * pad[k] + assigns[k] if lines[k].assign else "") for k in range(len(lines))]
    # Align trailing comments across runs of consecutive commented lines.
    start = None
    for k in range(len(lines) + 1):
        if k < len(lines) and lines[k].comment is not None:
            start = k if start is None else start
            continue
        if start is not None:
            widest = max(_width(bodies[j]) for j in range(start, k))
            for j in range(start, k):
                comment = lines[j].comment
                assert comment is not None
                bodies[j] += " " * (widest - _width(bodies[j]) + 1) + comment.text
            start = None
    return bodies


def _drop_blank_lines(lines: list[_Line], rendered: list[str]) -> list[str]:
    out: list[str] = []
    for k, line in enumerate(lines):
        if line.blank:
            if not out or out[-1] == "":
                continue  # at the start, or a second blank in a row
            prev = lines[_previous_nonblank(lines, k)]
            last = (prev.assign or prev.lead)[-1:] if (prev.assign or prev.lead) else []
            if last and last[0].kind is _T.OPEN:
                continue  # right after an opening bracket
            nxt = _next_nonblank(lines, k)
            if nxt is None:
                continue  # at the end
            first = (lines[nxt].lead or lines[nxt].assign)[:1]
            if first and first[0].kind is _T.CLOSE:
                continue  # right before a closing bracket
            out.append("")
        else:
            out.append(rendered[k])
    while out and out[-1] == "":
        out.pop()
    return out


def _previous_nonblank(lines: list[_Line], k: int) -> int:
    j = k - 1
    while j >= 0 and lines[j].blank:
        j -= 1
    return j


def _next_nonblank(lines: list[_Line], k: int) -> int | None:
    for j in range(k + 1, len(lines)):
        if not lines[j].blank:
            return j
    return None


def _significant(toks: list[_Tok]) -> list[tuple[_T, str]]:
    return [(t.kind, t.text) for t in toks if t.kind is not _T.NEWLINE]


def _newline_count(toks: list[_Tok]) -> int:
    return sum(1 for t in toks if t.kind is _T.NEWLINE)


def format_source(text: str, filename: str) -> tuple[str | None, Diagnostics]:
    """The canonical formatting of ``text`` (one HCL file), or None and diagnostics when it does
    not parse. Formatting an already formatted text returns it unchanged."""
    diags = Diagnostics()
    from imgb.reconciler.config import hcl  # the loader's parser decides what is valid HCL

    _, problems = hcl.parse(text, filename)
    if problems:
        diags.extend(problems)
        return None, diags
    try:
        toks = _tokenize(text)
    except _LexError as exc:
        diags.error(exc.summary, exc.detail, SourcePos(filename, exc.line))
        return None, diags
    lines = _split_lines(toks)
    _indent(lines)
    body = _drop_blank_lines(lines, _layout(lines))
    result = "\n".join(body) + "\n" if body else ""
    # The safety net: the same tokens, in the same order, and no newline gained.
    after = _tokenize(result)
    if _significant(after) != _significant(toks) or _newline_count(after) > _newline_count(toks) + 1:
        diags.error(
            "Formatter could not format this file safely",
            f"Formatting {filename} would have changed more than whitespace, so it was left as it is. "
            "This is a bug in imgb fmt; please report it with the file.",
            SourcePos(filename, 1),
        )
        return None, diags
    return result, diags


def format_diff(old: str, new: str, filename: str) -> str:
    """A unified diff from ``old`` to ``new``, as `fmt --diff` prints it ("" when equal)."""
    if old == new:
        return ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"old/{filename}",
        tofile=f"new/{filename}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def format_directory(directory: Path, *, write: bool, recursive: bool = False) -> tuple[list[tuple[str, str, str]], Diagnostics]:
    """Format every ``*.imgb.hcl`` and ``*.imgbvars.hcl`` file of ``directory`` (and of its
    subdirectories when ``recursive``, as ``terraform fmt -recursive``; hidden ones such as
    ``.imgb`` and ``.git`` skipped, links to directories not followed). Returns (path relative to
    ``directory``, old text, new text) of each file not in the canonical format (rewritten when
    ``write``), and the diagnostics of files that could not be formatted."""
    diags = Diagnostics()
    changed: list[tuple[str, str, str]] = []
    from imgb.fsops import read_inside, write_inside

    for name in _hcl_files(directory, recursive):
        # Read and written below the directory, as plan reads them: a committed link to a host
        # file is neither shown (-diff) nor rewritten.
        try:
            text = read_inside(directory, name).decode()
        except OSError as exc:
            diags.error("Failed to read file", f'"{name}" cannot be read: {exc.strerror}.', SourcePos(name, 1))
            continue
        new, file_diags = format_source(text, name)
        diags.extend(file_diags)
        if new is None or new == text:
            continue
        changed.append((name, text, new))
        if write:
            write_inside(directory, name, new.encode())
    return changed, diags


def _hcl_files(directory: Path, recursive: bool) -> list[str]:
    def here(d: Path, prefix: str) -> list[str]:
        return [prefix + f.name for pattern in ("*.imgb.hcl", "*.imgbvars.hcl") for f in sorted(d.glob(pattern))]

    names = here(directory, "")
    if recursive:
        for root, dirs, _ in os.walk(directory):  # os.walk follows no links to directories
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel = Path(root).relative_to(directory)
            if rel != Path("."):
                names += here(Path(root), f"{rel.as_posix()}/")
    return names
