"""Diagnostics as text (Terraform's shape, with the offending source line) and as JSON.

Both renderings are sorted and deterministic so they can be compared in golden tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from imgb.diagnostics import Diagnostic, Diagnostics, Severity
from imgb.fsops import read_inside


def _sorted(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (*d.sort_key(), 0 if d.severity is Severity.ERROR else 1, d.detail))


class _Sources:
    """Lines of the files diagnostics point at, read once."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.files: dict[str, list[str] | None] = {}

    def line(self, filename: str, line: int) -> str | None:
        if filename not in self.files:
            path = Path(filename)
            try:
                # A file of the configuration is read below its directory: a diagnostic about a link
                # to a secret elsewhere must not quote the secret.
                data = path.read_bytes() if path.is_absolute() else read_inside(self.directory, filename)
                self.files[filename] = data.decode("utf-8", errors="replace").splitlines()
            except OSError:
                self.files[filename] = None
        lines = self.files[filename]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1].rstrip()


def render_human(diags: Diagnostics | Iterable[Diagnostic], directory: str | os.PathLike[str]) -> str:
    """Every diagnostic, errors and warnings in file/line order, blank-line separated."""
    sources = _Sources(Path(directory))
    blocks: list[str] = []
    for d in _sorted(diags):
        head = "Error" if d.severity is Severity.ERROR else "Warning"
        parts = [f"{head}: {d.summary}"]
        where: list[str] = []
        if d.address:
            where.append(f"  with {d.address},")
        if d.pos is not None:
            where.append(f"  on {d.pos.filename} line {d.pos.line}:")
            text = sources.line(d.pos.filename, d.pos.line)
            if text is not None:
                where.append(f"  {d.pos.line}: {text}")
        if where:
            parts.append("\n".join(where))
        if d.detail:
            parts.append(d.detail)
        blocks.append("\n\n".join(parts))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def render_json(diags: Diagnostics | Iterable[Diagnostic]) -> str:
    items = _sorted(diags)
    errors = sum(1 for d in items if d.severity is Severity.ERROR)
    return json.dumps(
        {
            "valid": errors == 0,
            "error_count": errors,
            "warning_count": len(items) - errors,
            "diagnostics": [d.to_json() for d in items],
        },
        indent=2,
        ensure_ascii=False,
    )
