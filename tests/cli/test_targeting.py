"""Targeting that is honest, through the CLI: a --target or --replace that matches nothing is an
error with a did-you-mean (Terraform says "No changes"); a --replace the targets leave out is an
error (Terraform drops it without a word); while targeting is in effect every plan format carries
Terraform's warning. Nothing is written when the options are refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

BANNER = "Resource targeting is in effect"


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-chdir=" + str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


def state_bytes(d: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(d.glob("*.tfstate*")) + sorted(d.glob("imgb.state*")) if p.is_file())


@pytest.mark.parametrize(
    ("args", "summary", "suggestion"),
    [
        (["-target=template.wbe"], "Target matches nothing", 'Did you mean "template.web"?'),
        (["-target", 'copy.web["local-9"]'], "Target matches nothing", 'Did you mean "copy.web["local-2"]"?'),
        (["-replace=image.webb"], "Replacement matches nothing", 'Did you mean "image.web"?'),
        (["-target=template.web", "-replace=image.web"], "Replacement outside the targets", "Add --target image.web"),
    ],
)
def test_options_that_would_be_ignored_are_errors(
    cfg: Path, capsys: pytest.CaptureFixture[str], args: list[str], summary: str, suggestion: str
) -> None:
    before = state_bytes(cfg)
    assert before  # the state the refused command must leave alone
    for command in (["plan", "-out=p.plan"], ["apply", "-auto-approve"]):
        code, out, err = imgb(capsys, cfg, *command, *args)
        assert code == 1, (command, out)
        assert f"Error: {summary}" in err and suggestion in err, err
        assert "No changes" not in out and BANNER not in out + err
    assert not (cfg / "p.plan").exists()
    assert state_bytes(cfg) == before


def test_the_banner_in_every_plan_format_and_apply(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # nothing to do for the target: still the banner, as Terraform prints it with "No changes"
    code, out, _ = imgb(capsys, cfg, "plan", "-target=template.web")
    assert code == 0 and "No changes" in out and f"Warning: {BANNER}" in out
    code, out, _ = imgb(capsys, cfg, "plan", "-target=template.web", "-json")
    assert [w["summary"] for w in json.loads(out)["warnings"]] == [BANNER]
    code, out, _ = imgb(capsys, cfg, "plan", "-target=template.web", "-format=markdown")
    assert f"> {BANNER}." in out
    # a replacement inside the targets is planned, under the banner
    code, out, _ = imgb(capsys, cfg, "plan", "-target=image.web", "-replace=image.web", "-detailed-exitcode")
    assert code == 2 and "rebuild requested with --replace" in out and f"Warning: {BANNER}" in out
    code, out, err = imgb(capsys, cfg, "apply", "-target=image.web", "-replace=image.web", "-auto-approve")
    assert code == 0 and "image.web: Built" in out and f"Warning: {BANNER}" in out, err
    code, out, _ = imgb(capsys, cfg, "plan")
    assert BANNER not in out


def test_replacing_what_does_not_exist_yet_is_a_warning(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main_hcl = cfg / "main.imgb.hcl"
    main_hcl.write_text(main_hcl.read_text() + '\ncomponent "extra" {\n  content = "RUN true"\n}\n')
    code, out, _ = imgb(capsys, cfg, "plan", "-replace=component.extra")
    assert code == 0 and "Warning: Nothing to replace yet" in out and "component.extra will be created" in out


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform 1.11 is part of the test environment")
def test_the_banner_is_terraforms(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"}
    run = subprocess.run(["terraform", "plan", "-no-color", "-input=false", "-target=terraform_data.x"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert f"Warning: {BANNER}" in run.stdout, run.stdout + run.stderr
