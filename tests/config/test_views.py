"""Rendering diagnostics for people (Terraform's shape) and for machines (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from imgb.diagnostics import Diagnostics, SourcePos
from imgb.reconciler.views.diagnostics import render_human, render_json


def test_human_rendering_sorted_with_source_lines(tmp_path: Path) -> None:
    (tmp_path / "main.imgb.hcl").write_text('locals {\n  x = 1\n}\nresourcee "x" {\n}\n')
    diags = Diagnostics()
    diags.warning("Value for undeclared variable", "Ignored.", SourcePos("main.imgb.hcl", 2, 3))
    diags.error(
        "Unsupported block type",
        'Blocks of type "resourcee" are not expected here.',
        SourcePos("main.imgb.hcl", 4, 1),
    )
    diags.error("Invalid --var option", "Use name=value.")
    diags.error("Bad", "Detail.", SourcePos("gone.imgb.hcl", 3), address="component.a")
    assert render_human(diags, tmp_path) == (
        "Error: Bad\n\n"
        "  with component.a,\n"
        "  on gone.imgb.hcl line 3:\n\n"
        "Detail.\n\n"
        "Warning: Value for undeclared variable\n\n"
        "  on main.imgb.hcl line 2:\n"
        "  2:   x = 1\n\n"
        "Ignored.\n\n"
        "Error: Unsupported block type\n\n"
        "  on main.imgb.hcl line 4:\n"
        '  4: resourcee "x" {\n\n'
        'Blocks of type "resourcee" are not expected here.\n\n'
        "Error: Invalid --var option\n\n"
        "Use name=value.\n"
    )
    assert render_human(Diagnostics(), tmp_path) == ""


def test_json_rendering() -> None:
    diags = Diagnostics()
    diags.error("B", "b.", SourcePos("f", 2))
    diags.warning("A", "a.", SourcePos("f", 1))
    doc = json.loads(render_json(diags))
    assert doc["valid"] is False and doc["error_count"] == 1 and doc["warning_count"] == 1
    assert [d["summary"] for d in doc["diagnostics"]] == ["A", "B"]
    assert doc["diagnostics"][1] == {
        "severity": "error", "summary": "B", "detail": "b.", "address": None, "filename": "f", "line": 2, "column": 1,
    }
    assert json.loads(render_json(Diagnostics()))["valid"] is True
