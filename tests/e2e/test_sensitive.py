"""A sensitive value that changes alone still rebuilds, though plans and state only hold it masked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"

AGENT = """
variable "agent_token" {
  type      = string
  sensitive = true
}

component "agent" {
  content = "RUN echo 'token=${var.agent_token}' > /etc/agent.conf"
}

template "agent" {
  base_image = "busybox"
  build      = "COMPONENT ${component.agent.id}"
}
"""


def run(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_rotating_a_secret_rebuilds_without_revealing_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "qs"
    shutil.copytree(QUICKSTART, d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    (d / "agent.imgb.hcl").write_text(AGENT)
    code, out = run(capsys, d, "apply", "-auto-approve", "-var", "agent_token=first-Secret-1")
    assert code == 0, out
    code, out = run(capsys, d, "plan", "--detailed-exitcode", "-var", "agent_token=first-Secret-1")
    assert code == 0, out

    code, out = run(capsys, d, "plan", "--detailed-exitcode", "-out=rotate.imgbplan", "-var", "agent_token=second-Secret-2")
    assert code == 2, out
    assert "component.agent must be replaced" in out and "a sensitive value changed" in out
    assert "image.agent will be built" in out
    code, out = run(capsys, d, "apply", "rotate.imgbplan", "-var", "agent_token=second-Secret-2")
    assert code == 0, out
    code, out = run(capsys, d, "plan", "--detailed-exitcode", "-var", "agent_token=second-Secret-2")
    assert code == 0, out

    for f in [d / "imgb.state.json", d / "rotate.imgbplan", *d.glob("imgb.state.json.*")]:
        data = f.read_bytes()
        assert b"first-Secret-1" not in data and b"second-Secret-2" not in data, f
