"""docs/troubleshooting.md lists every message imgb prints.

The messages are the first cells of its tables, in backticks, with ``<...>`` for a part that varies.
Three sources must be covered: the diagnostics of the golden corpus (``tests/corpus/*/expected.txt``
and ``tests/planner/golden/``), every diagnostic summary written in the code (found by reading the
calls that make diagnostics), and every error code the providers and the engine raise.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.fences import ROOT

DOC = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
_CELL_RE = re.compile(r"^\| (?P<cell>`[^|]*?`(?:[^|]*))\|", re.MULTILINE)
_SPAN_RE = re.compile(r"`([^`]+)`")
_PLACEHOLDER_RE = re.compile(r"<[^<>]+>")


def _patterns() -> list[str]:
    """The messages the tables list: every backticked span of a row's first cell."""
    out: list[str] = []
    for m in _CELL_RE.finditer(DOC):
        out.extend(_SPAN_RE.findall(m.group("cell")))
    return out


PATTERNS = _patterns()


def _regex(pattern: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER_RE.split(pattern)
    return re.compile(".+".join(re.escape(p) for p in parts))


REGEXES = [_regex(p) for p in PATTERNS]


def documented(summary: str) -> bool:
    return any(r.fullmatch(summary) for r in REGEXES)


# -- the goldens ------------------------------------------------------------------------------------


def _golden_summaries() -> list[str]:
    found: set[str] = set()
    texts = [*(ROOT / "tests" / "corpus").glob("*/expected.txt"), *(ROOT / "tests" / "planner" / "golden").glob("*.txt")]
    for path in texts:
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^(?:Error|Warning): (.+)$", line)
            if m:
                found.add(m.group(1))
    for path in (ROOT / "tests" / "planner" / "golden").glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        found.update(str(w["summary"]) for w in doc.get("warnings", []))
    return sorted(found)


GOLDEN = _golden_summaries()


def test_the_goldens_have_diagnostics() -> None:
    assert len(GOLDEN) >= 60


@pytest.mark.parametrize("summary", GOLDEN)
def test_every_golden_diagnostic_is_documented(summary: str) -> None:
    assert documented(summary), f'add a row for "{summary}" to docs/troubleshooting.md'


# -- the code ---------------------------------------------------------------------------------------

# Calls that make a diagnostic, and the position of the summary among their arguments.
_SUMMARY_ARG = {
    "error": 0, "warning": 0, "error_diag": 0, "warning_diag": 0, "EvalError": 0, "fail": 0, "problem": 0,
    "ParseProblem": 1, "_problem": 1,
}  # fmt: skip
_SOURCES = ("imgb", "reconciler", "providers", "state")
NOT_PRINTED = {
    # Raised inside a type constraint and reported as "Invalid type specification".
    "Invalid default",
}


def _summaries(node: ast.expr) -> Iterator[str]:
    """A summary argument as text, with ``<expr>`` for each f-string placeholder; both branches of
    a conditional. Anything computed otherwise (a variable) is not a literal summary."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value if isinstance(v, ast.Constant) else "<expr>" for v in node.values)  # type: ignore[misc]
    elif isinstance(node, ast.IfExp):
        yield from _summaries(node.body)
        yield from _summaries(node.orelse)


def _code_summaries() -> list[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for package in _SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(ROOT).as_posix()
            for node in ast.walk(tree):
                if isinstance(node, ast.keyword) and node.arg == "problem" and isinstance(node.value, ast.Tuple):
                    out.update((s, where) for s in _summaries(node.value.elts[0]))  # (summary, detail) pairs
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                index = _SUMMARY_ARG.get(name)
                if index is not None and len(node.args) > index:
                    out.update((s, where) for s in _summaries(node.args[index]))
    return sorted(out - {(s, w) for s, w in out if s in NOT_PRINTED})


CODE = _code_summaries()


def test_the_code_scan_finds_diagnostics() -> None:
    assert len(CODE) >= 150, len(CODE)


@pytest.mark.parametrize(("summary", "where"), CODE, ids=[f"{w}:{s}" for s, w in CODE])
def test_every_diagnostic_in_the_code_is_documented(summary: str, where: str) -> None:
    if "<expr>" in summary:
        # The code's placeholders may stand for anything: some documented message must fit.
        shape = _regex(summary)
        ok = any(shape.fullmatch(p) or shape.fullmatch(_PLACEHOLDER_RE.sub("x", p)) for p in PATTERNS)
    else:
        ok = documented(summary)
    assert ok, f'{where} prints "{summary}": add a row for it to docs/troubleshooting.md'


# -- error codes ------------------------------------------------------------------------------------

_CODE_RE = re.compile(r'\b(?:ProviderError|BuildFailed)\(\s*"([A-Za-z][A-Za-z0-9.]*)"')


def _error_codes() -> list[str]:
    codes: set[str] = set()
    for package in ("imgb", "reconciler", "providers"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            codes.update(_CODE_RE.findall(text))
            codes.update(re.findall(r'"code": "([A-Za-z][A-Za-z0-9.]*)"', text))
    return sorted(codes)


CODES = _error_codes()


def test_the_code_scan_finds_error_codes() -> None:
    assert {"CommandFailed", "BuildFailed", "DependencyMissing"} <= set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_error_code_is_documented(code: str) -> None:
    assert f"`{code}`" in DOC, f"error code {code} is missing from the apply error codes of docs/troubleshooting.md"


def test_examples_in_this_page_are_real() -> None:
    """The sample diagnostic at the top of the page is what imgb prints for that mistake."""
    from imgb.reconciler.validate import validate_directory
    from imgb.reconciler.views.diagnostics import render_human

    sample = re.search(r"## Reading a diagnostic\n\n```\n(.*?)```", DOC, re.DOTALL)
    assert sample
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        directory = Path(d)
        (directory / "components").mkdir()
        (directory / "components" / "hardening.dockerfile").write_text(
            "RUN chmod 0700 /root\nENV LANG=C.UTF-8\nADD https://example.com/tool.tar.gz /opt/\n"
        )
        (directory / "main.imgb.hcl").write_text(
            'component "hardening" {\n  content = file("components/hardening.dockerfile")\n}\n'
        )
        _, diags = validate_directory(directory, env={"IMGB_CACHE_DIR": str(directory / ".cache")})
        assert render_human(diags, directory) == sample.group(1)
