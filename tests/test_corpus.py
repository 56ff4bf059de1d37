"""The diagnostics corpus: each tests/corpus/<case>/ holds a broken configuration and expected.txt,
the human rendering of what ``imgb validate`` reports for it.

A case may carry ``args.json`` ({"var_args": [...], "var_files": [...], "env": {...}}) for the
command-line inputs it needs. Rewrite the expectations with ``pytest --update-golden``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgb.reconciler.validate import validate_directory
from imgb.reconciler.views.diagnostics import render_human

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


def _render(case_dir: Path, tmp_path: Path) -> tuple[str, int]:
    args = json.loads((case_dir / "args.json").read_text()) if (case_dir / "args.json").exists() else {}
    env = {"IMGB_CACHE_DIR": str(tmp_path / "cache"), **args.get("env", {})}
    _, diags = validate_directory(
        case_dir, var_args=args.get("var_args", ()), var_files=args.get("var_files", ()), env=env
    )
    errors = sum(1 for d in diags if d.severity == "error")
    return render_human(diags, case_dir), errors


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str, tmp_path: Path, update_golden: bool) -> None:
    case_dir = CORPUS / case
    text, errors = _render(case_dir, tmp_path)
    assert errors >= 1, f"{case}: a corpus case must produce at least one error"
    assert "Traceback" not in text
    expected = case_dir / "expected.txt"
    if update_golden or not expected.exists():
        expected.write_text(text)
        if not update_golden:
            pytest.fail(f"{case}: wrote a new expected.txt; review it and re-run")
    assert text == expected.read_text()


def test_corpus_is_large_enough() -> None:
    assert len([c for c in CASES if not c.startswith("content-")]) >= 28
