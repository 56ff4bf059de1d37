"""The quickstart with its state in a real PostgreSQL: plan, apply, workspaces, migration."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_quickstart_on_postgres(tmp_path: Path, pg_dsn: str, pg_schema: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path / "qs"
    shutil.copytree(ROOT / "examples" / "quickstart", d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    main_hcl = d / "main.imgb.hcl"
    text = main_hcl.read_text()
    local_block = '  backend "local" {\n    path = "imgb.state.json"\n  }\n'
    assert local_block in text
    main_hcl.write_text(text.replace(local_block, f'  backend "pg" {{\n    schema_name = "{pg_schema}"\n  }}\n'))
    monkeypatch.setenv("IMGB_PG_CONN_STR", pg_dsn)

    code, out, err = imgb(capsys, d, "apply", "--auto-approve")
    assert code == 0, err
    assert not (d / "imgb.state.json").exists()
    code, out, _ = imgb(capsys, d, "plan", "--detailed-exitcode")
    assert code == 0, out

    code, out, _ = imgb(capsys, d, "state", "pull")
    state = json.loads(out)
    assert state["serial"] >= 1 and len(state["resources"]) == 6
    assert pg_dsn not in out

    # Workspaces keep states apart.
    assert imgb(capsys, d, "workspace", "new", "staging")[0] == 0
    code, out, _ = imgb(capsys, d, "plan")
    assert "Plan: 6 to add" in out
    assert imgb(capsys, d, "workspace", "select", "default")[0] == 0
    code, out, _ = imgb(capsys, d, "workspace", "list")
    assert "* default" in out

    # Migration to a local file and back keeps lineage and serial.
    code, out, err = imgb(capsys, d, "state", "migrate", "--to-local", str(tmp_path / "copy.json"))
    assert code == 0, err
    copied = json.loads((tmp_path / "copy.json").read_text())
    assert copied["lineage"] == state["lineage"] and copied["serial"] == state["serial"]
