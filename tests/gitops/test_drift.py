"""Drift checks on a schedule: plan --refresh-only --detailed-exitcode exits 3 on drift (and only
then), and --format markdown is a report for an issue. Real local provider, local state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgb.addresses import Kind
from imgb.providers.local.provider import LocalProvider
from imgb.reconciler.cli import EXIT_DRIFT, main
from imgb.reconciler.scaffold import scaffold
from imgb.reconciler.views.plan_markdown import DRIFT_MARKER, MARKER


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.sandbox
def test_refresh_only_exit_codes_and_drift_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMGB_HOME", str(tmp_path / "store"))
    d = tmp_path / "repo"
    assert not scaffold(d).diagnostics
    code, out, err = imgb(capsys, d, "apply", "--auto-approve")
    assert code == 0, out + err

    code, out, _ = imgb(capsys, d, "plan", "--refresh-only", "--detailed-exitcode", "--format", "markdown")
    assert code == 0 and out.startswith(DRIFT_MARKER) and "**No drift.**" in out

    # The copy in local-2 is deleted out of band, through the provider's API.
    code, out, _ = imgb(capsys, d, "state", "pull")
    state = json.loads(out)
    copy = next(r for r in state["resources"] if r["address"] == 'copy.base["local-2"]')
    LocalProvider(tmp_path / "store", "local-1").delete(Kind.COPY, copy["id"], {"region": "local-2"})

    code, out, _ = imgb(capsys, d, "plan", "--refresh-only", "--detailed-exitcode", "--format", "markdown")
    assert code == EXIT_DRIFT == 3
    assert f'| `copy.base["local-2"]` | `{copy["id"]}` | was deleted outside imgb |' in out
    code, out, _ = imgb(capsys, d, "plan", "--refresh-only", "--detailed-exitcode")
    assert code == 3 and "objects changed outside imgb" in out
    code, _, _ = imgb(capsys, d, "plan", "--refresh-only")
    assert code == 0, "without --detailed-exitcode drift is not an error"

    # A normal plan restores the copy: that is a change (2), not drift (3).
    plan_file = tmp_path / "restore.plan"
    code, out, _ = imgb(capsys, d, "plan", "--detailed-exitcode", "--format", "markdown", "--out", str(plan_file))
    assert code == 2 and out.startswith(MARKER) and "this plan restores or forgets them" in out
    code, shown, _ = imgb(capsys, d, "show", str(plan_file), "--format", "markdown")
    assert code == 0 and shown == out
    code, out, err = imgb(capsys, d, "apply", str(plan_file))
    assert code == 0, out + err
    code, _, _ = imgb(capsys, d, "plan", "--refresh-only", "--detailed-exitcode")
    assert code == 0


def test_show_rejects_an_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.plan").write_text("{}")
    code, _, err = imgb(capsys, tmp_path, "show", str(tmp_path / "x.plan"), "--format", "yaml")
    assert code == 1 and "--format must be human, json or markdown" in err
