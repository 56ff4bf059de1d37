"""imgb state mv after renaming a block: the template and what it made move, nothing is rebuilt."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


def run(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_rename_template_then_state_mv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "qs"
    shutil.copytree(QUICKSTART, d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    assert run(capsys, d, "apply", "--auto-approve")[0] == 0
    before = json.loads((d / "imgb.state.json").read_text())
    hcl = d / "main.imgb.hcl"
    hcl.write_text(hcl.read_text().replace('template "web"', 'template "site"').replace("template.web.", "template.site."))

    code, out = run(capsys, d, "state", "mv", "template.web", "template.site")
    assert code == 0, out
    code, out = run(capsys, d, "plan", "--detailed-exitcode")
    # The template, its images, copies and shares moved and are kept as they are: the template
    # keeps its cloud name (no provider can rename one), as after a moved block.
    assert code == 0, out
    assert "No changes." in out

    after = json.loads((d / "imgb.state.json").read_text())
    addresses = sorted(r["address"] for r in after["resources"])
    assert not [a for a in addresses if ".web" in a and a != "component.webserver"]
    assert {"component.hardening", "component.webserver", "template.site", "image.site"} <= set(addresses)
    assert sorted(r["id"] for r in after["resources"]) == sorted(r["id"] for r in before["resources"])
    assert all(r["template"] in (None, "template.site") for r in after["resources"])

    code, out = run(capsys, d, "state", "mv", "template.nope", "template.other")
    assert code == 1 and 'no resource "template.nope"' in out
    code, out = run(capsys, d, "state", "mv", "component.hardening", "component.webserver")
    assert code == 1 and "already in the state" in out
