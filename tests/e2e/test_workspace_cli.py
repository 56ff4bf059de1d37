"""imgb workspace on the command line: a bad name is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgb.reconciler.cli import main


def test_bad_workspace_name_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.imgb.hcl").write_text('component "agent" {\n  content = "RUN true"\n}\n')
    assert main(["-C", str(tmp_path), "workspace", "new", "bad name"]) == 1
    err = capsys.readouterr().err
    assert '"bad name" is not a valid workspace name' in err and "state storage" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.imgb.hcl"]
    assert main(["-C", str(tmp_path), "workspace", "select", "../x"]) == 1
    assert main(["-C", str(tmp_path), "workspace", "new", "pr-12"]) == 0
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "workspace", "list"]) == 0
    assert capsys.readouterr().out.split() == ["default", "*", "pr-12"]
