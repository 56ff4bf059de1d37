"""Outputs after apply: expressions are evaluated with the ids state holds, functions included."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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


OUTPUTS = r'''
output "s" {
  value = "hello"
}
output "n" {
  value = 1.5
}
output "b" {
  value = true
}
output "l" {
  value = ["a", "b"]
}
output "m" {
  value = { x = 1, y = ["z"], "w v" = { q = "r" } }
}
output "h" {
  value = "line1\nline2\n"
}
output "e" {
  value = []
}
output "q" {
  value = "say \"hi\" \\ $${x}"
}
'''

# What Terraform 1.11.4 prints for the same outputs (`terraform output`), checked in so the test
# runs without Terraform; the test also asks terraform when it is on the PATH.
TERRAFORM_OUTPUT = '''b = true
e = []
h = <<EOT
line1
line2

EOT
l = [
  "a",
  "b",
]
m = {
  "w v" = {
    "q" = "r"
  }
  "x" = 1
  "y" = [
    "z",
  ]
}
n = 1.5
q = "say \\"hi\\" \\\\ ${x}"
s = "hello"
'''


def test_output_prints_values_as_terraform_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "outs"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(OUTPUTS)
    assert main(["-C", str(d), "apply", "-auto-approve"]) == 0
    capsys.readouterr()
    assert main(["-C", str(d), "output"]) == 0
    assert capsys.readouterr().out == TERRAFORM_OUTPUT
    # One output by name: its value alone, in the same form.
    for line in TERRAFORM_OUTPUT.split("\n"):
        if " = " in line and not line.startswith(" "):
            name, _, first = line.partition(" = ")
            assert main(["-C", str(d), "output", name]) == 0
            assert capsys.readouterr().out.startswith(first)
    if shutil.which("terraform"):
        tf = tmp_path / "tf"
        tf.mkdir()
        (tf / "main.tf").write_text(OUTPUTS)
        env = {"PATH": os.environ["PATH"], "TF_CLI_CONFIG_FILE": "/dev/null", "HOME": str(tmp_path), "CHECKPOINT_DISABLE": "1"}
        subprocess.run(["terraform", "apply", "-auto-approve"], cwd=tf, env=env, check=True, capture_output=True)
        ran = subprocess.run(["terraform", "output"], cwd=tf, env=env, check=True, capture_output=True, text=True)
        assert ran.stdout == TERRAFORM_OUTPUT
