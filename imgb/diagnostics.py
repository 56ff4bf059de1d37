"""Diagnostics: every problem a user can fix, with where it is and how to fix it.

Functions that can find several problems return or collect ``Diagnostics`` instead of raising,
so one run reports everything. ``DiagnosticError`` carries diagnostics across layers that must
stop (for example a saved plan that is stale); only views turn them into text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class SourcePos:
    """A place in a file: 1-based line and column. ``filename`` is as the user would type it."""

    filename: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}"

    def shifted(self, lines: int) -> SourcePos:
        return SourcePos(self.filename, self.line + lines, 1)


@dataclass(frozen=True)
class Diagnostic:
    """One problem found (an error or a warning), where it is, and how to fix it."""

    severity: Severity
    summary: str
    """A short noun phrase, no final period: 'Unsupported command "ADD"'."""
    detail: str = ""
    """Full sentences: what is wrong, the rule, and how to fix it."""
    pos: SourcePos | None = None
    address: str | None = None
    """The resource the problem belongs to, when there is one (plan and apply diagnostics)."""

    def sort_key(self) -> tuple[str, int, int, str, str]:
        if self.pos is None:
            return ("~", 0, 0, self.address or "", self.summary)
        return (self.pos.filename, self.pos.line, self.pos.column, self.address or "", self.summary)

    def to_json(self) -> dict[str, object]:
        return {
            "severity": str(self.severity),
            "summary": self.summary,
            "detail": self.detail,
            "address": self.address,
            "filename": self.pos.filename if self.pos else None,
            "line": self.pos.line if self.pos else None,
            "column": self.pos.column if self.pos else None,
        }


def error(summary: str, detail: str = "", pos: SourcePos | None = None, address: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, summary, detail, pos, address)


def warning(summary: str, detail: str = "", pos: SourcePos | None = None, address: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, summary, detail, pos, address)


@dataclass
class Diagnostics:
    """An ordered, de-duplicated collection of diagnostics."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        if diag not in self.items:
            self.items.append(diag)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self.add(d)

    def error(self, summary: str, detail: str = "", pos: SourcePos | None = None, address: str | None = None) -> None:
        self.add(error(summary, detail, pos, address))

    def warning(self, summary: str, detail: str = "", pos: SourcePos | None = None, address: str | None = None) -> None:
        self.add(warning(summary, detail, pos, address))

    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


class DiagnosticError(Exception):
    """Raised where work must stop; carries the diagnostics that explain why."""

    def __init__(self, diags: Iterable[Diagnostic] | Diagnostic):
        self.diagnostics = Diagnostics()
        if isinstance(diags, Diagnostic):
            self.diagnostics.add(diags)
        else:
            self.diagnostics.extend(diags)
        super().__init__("; ".join(d.summary for d in self.diagnostics))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' Did you mean "x"?' for the closest candidate, or '' when none is close."""
    import difflib  # only when something is misspelt: every command imports this module

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.7)
    return f' Did you mean "{matches[0]}"?' if matches else ""
