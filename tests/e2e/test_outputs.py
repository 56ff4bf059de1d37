"""Outputs after apply: expressions are evaluated with the ids state holds, functions included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"

EXTRA = """
output "region_count" {
  value = length(template.web.image_ids)
}

output "home_image" {
  value = "image ${template.web.image_ids["local-1"]} of ${template.web.name}"
}

output "hardening_id" {
  value = component.hardening.id
}
"""


def test_output_expressions_see_applied_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "qs"
    shutil.copytree(QUICKSTART, d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    (d / "outputs.imgb.hcl").write_text(EXTRA)
    assert main(["-C", str(d), "apply", "--auto-approve"]) == 0
    capsys.readouterr()
    assert main(["-C", str(d), "output", "--json"]) == 0
    outputs = {k: v["value"] for k, v in json.loads(capsys.readouterr().out).items()}
    ids = outputs["web_image_ids"]
    assert set(ids) == {"local-1", "local-2"} and all(v.startswith("m-") for v in ids.values())
    assert outputs["region_count"] == 2
    assert outputs["home_image"] == f"image {ids['local-1']} of web"
    assert str(outputs["hardening_id"]).startswith("ic-")
