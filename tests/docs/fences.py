"""Fenced code blocks of the Markdown documentation, with the directives that say how to test them.

A directive is an HTML comment on its own line right before a fence (blank lines and other
directives may sit between them); rendered Markdown hides it:

* ``<!-- fragment -->`` (or the info string ``hcl-fragment``): the HCL is a piece of a configuration
  on purpose; it must parse, not validate.
* ``<!-- error: SUMMARY -->`` / ``<!-- warning: SUMMARY -->``: validating the snippet must report
  exactly these diagnostics (by summary); a snippet without them must report none.
* ``<!-- file: PATH -->``: the block is the content of PATH (relative to the configuration
  directory), written next to every snippet of the same document; it is not validated itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_DIRECTIVE_RE = re.compile(r"^\s*<!--\s*(?P<name>fragment|error|warning|file)\s*(?::\s*(?P<arg>.*?))?\s*-->\s*$")


@dataclass
class Fence:
    doc: str
    """The document, relative to the repository root (README.md, docs/x.md)."""
    line: int
    """1-based line of the opening fence."""
    info: str
    text: str
    fragment: bool = False
    file: str | None = None
    expected: list[tuple[str, str]] = field(default_factory=list)
    """(severity, summary) the snippet must report."""

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def documents() -> list[Path]:
    """README.md and every docs/*.md, so new documents are picked up by themselves."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def fences(path: Path) -> list[Fence]:
    rel = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Fence] = []
    pending: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _DIRECTIVE_RE.match(line)
        if directive:
            pending.append((directive.group("name"), (directive.group("arg") or "").strip()))
            i += 1
            continue
        m = _FENCE_RE.match(line)
        if not m:
            if line.strip():
                pending = []  # a directive applies only to the fence right after it
            i += 1
            continue
        indent, fence, info = len(m.group("indent")), m.group("fence"), m.group("info")
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = lines[i].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].lstrip())
            i += 1
        start = i - len(body)
        block = Fence(rel, start, info, "\n".join(body) + "\n", fragment=info == "hcl-fragment")
        for name, arg in pending:
            if name == "fragment":
                block.fragment = True
            elif name == "file":
                block.file = arg
            else:
                block.expected.append((name, arg))
        pending = []
        out.append(block)
        i += 1
    return out


def all_fences() -> list[Fence]:
    return [f for doc in documents() for f in fences(doc)]
