"""Dockerfile text into instructions, as BuildKit reads it: parser directives (``# escape=``),
comments, continuation lines, and heredocs (``<<EOF`` ... ``EOF``) after RUN, COPY and ADD."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from imgb.reconciler.dockerfile_import.words import unquoted

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")
_KEYWORD = re.compile(r"^(\S+)\s*(.*)$", re.DOTALL)


@dataclass
class Heredoc:
    name: str
    body: list[str]
    quoted: bool
    """``<<'EOF'`` or ``<<"EOF"``: no expansion in the body."""
    start: int
    """The source position of ``<<`` in the instruction's arguments."""
    end: int
    """Just after the delimiter word."""


@dataclass
class RawInstruction:
    keyword: str
    """Upper case."""
    args: str
    """Everything after the keyword; continuation lines joined with a newline, the escape
    character before each newline kept (the shell removes it as Docker's parser does)."""
    line: int
    end_line: int
    heredocs: list[Heredoc] = field(default_factory=list)


@dataclass
class Lexed:
    escape: str
    instructions: list[RawInstruction]
    problems: list[tuple[int, str, str]]
    """(line, summary, detail)."""


def lex(text: str) -> Lexed:
    lines = text.splitlines()
    escape = "\\"
    problems: list[tuple[int, str, str]] = []
    i = 0
    # Parser directives: only at the very top, before any blank line, comment or instruction.
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i].strip())
        if not m:
            break
        if m.group(1).lower() == "escape":
            if m.group(2) in ("\\", "`"):
                escape = m.group(2)
            else:
                problems.append((i + 1, "Invalid escape directive", f'escape must be \\ or `, not "{m.group(2)}".'))
        i += 1
    cont = re.compile(re.escape(escape) + r"[ \t]*$")
    out: list[RawInstruction] = []
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        pieces = [raw.strip()]
        last = raw
        while cont.search(last) and i + 1 < len(lines):
            i += 1
            nxt = lines[i]
            if not nxt.strip() or nxt.strip().startswith("#"):
                continue  # Docker skips comment and empty lines inside a continued instruction
            pieces.append(nxt.rstrip())
            last = nxt
        m = _KEYWORD.match(pieces[0])
        assert m is not None  # a non-blank line
        keyword = m.group(1)
        args = "\n".join([m.group(2), *pieces[1:]]).strip()
        ins = RawInstruction(keyword.upper(), args, start + 1, i + 1)
        i += 1
        if ins.keyword in _HEREDOC_KEYWORDS:
            i = _read_heredocs(ins, lines, i, problems)
        out.append(ins)
    return Lexed(escape, out, problems)


def _read_heredocs(ins: RawInstruction, lines: list[str], i: int, problems: list[tuple[int, str, str]]) -> int:
    free = unquoted(ins.args)
    for m in _HEREDOC.finditer(ins.args):
        if m.start() not in free:
            continue
        strip_tabs, quoted, name = m.group(1) == "-", bool(m.group(2)), m.group(3)
        body: list[str] = []
        while i < len(lines):
            ln = lines[i]
            i += 1
            check = ln.lstrip("\t") if strip_tabs else ln
            if check.rstrip() == name:
                break
            body.append(ln.lstrip("\t") if strip_tabs else ln)
        else:
            problems.append(
                (ins.line, "Unterminated heredoc", f"The heredoc <<{name} is never closed by a line {name}; close it.")
            )
        ins.heredocs.append(Heredoc(name, body, quoted, m.start(), m.end()))
        ins.end_line = i
    return i
