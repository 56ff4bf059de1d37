"""imgb validate finds what plan would refuse for the configuration alone: a dependency cycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgb.reconciler.cli import main

CYCLE = """
component "first" {
  content    = "RUN echo a"
  depends_on = [component.second]
}
component "second" {
  content    = "RUN echo b"
  depends_on = [component.first]
}
template "web" {
  base_image = "busybox"
  build      = "COMPONENT ${component.first.id}"
}
"""


def test_validate_reports_a_depends_on_cycle_as_plan_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.imgb.hcl").write_text(CYCLE)
    assert main(["-chdir=" + str(tmp_path), "validate"]) == 1
    out = capsys.readouterr()
    assert "Success" not in out.out
    assert "Dependency cycle" in out.err and "component.first → component.second → component.first" in out.err
    assert "main.imgb.hcl line 2" in out.err
    assert main(["-chdir=" + str(tmp_path), "validate", "-json"]) == 1
    assert '"Dependency cycle"' in capsys.readouterr().out
    (tmp_path / "main.imgb.hcl").write_text(CYCLE.replace("depends_on = [component.first]", ""))
    assert main(["-chdir=" + str(tmp_path), "validate"]) == 0
    assert "Success" in capsys.readouterr().out
