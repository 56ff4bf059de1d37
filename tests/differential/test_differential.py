"""imgb agrees with Terraform 1.11 on every recorded expression (golden/*.json, made by
``python -m tests.differential.harness --regenerate`` where terraform is installed), except the
differences listed, with their reasons, in differences.json and docs/language.md."""

from __future__ import annotations

import pytest

from tests.differential.harness import agree, imgb_answer, load_cases, load_differences, load_golden

CASES = [(name, expr) for name, exprs in load_cases().items() for expr in exprs]
DIFFERENCES = load_differences()


def test_the_suite_is_large_and_recorded() -> None:
    assert len(CASES) >= 1000
    missing = [(n, e) for n, e in CASES if e not in load_golden(n)]
    assert not missing, f"cases without a recorded Terraform answer (run the harness with --missing): {missing[:5]}"


@pytest.mark.parametrize("name", sorted({n for n, _ in CASES}))
def test_imgb_agrees_with_terraform(name: str) -> None:
    golden = load_golden(name)
    wrong = []
    for case_name, expr in CASES:
        if case_name != name:
            continue
        mine = imgb_answer(expr)
        assert not mine.get("internal"), f"{expr}: {mine['error']}"
        matches = agree(golden[expr], mine)
        if expr in DIFFERENCES:
            assert not matches, f"{expr} now agrees with Terraform: remove it from differences.json and the docs"
        elif not matches:
            wrong.append(f"{expr}\n  terraform: {golden[expr]}\n  imgb:      {mine}")
    assert not wrong, "\n".join(wrong)
