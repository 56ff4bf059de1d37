"""The command line end to end on the quickstart: apply, no changes, distribution-only changes,
saved plans and their staleness checks, locking, destroy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    d = tmp_path / "qs"
    shutil.copytree(QUICKSTART, d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*"))
    return d


def test_quickstart_lifecycle(quickstart: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = quickstart
    code, out, err = imgb(capsys, d, "apply", "--auto-approve")
    assert code == 0, err
    assert "image.web: Built" in out and "Apply complete!" in out

    code, out, _ = imgb(capsys, d, "plan", "--detailed-exitcode")
    assert code == 0 and "No changes. Your images match the configuration." in out

    code, out, _ = imgb(capsys, d, "output", "--json")
    ids = json.loads(out)["web_image_ids"]["value"]
    assert set(ids) == {"local-1", "local-2"}

    # Only the distribution changes: a copy and a share, never a build.
    main_hcl = d / "main.imgb.hcl"
    main_hcl.write_text(main_hcl.read_text().replace('regions  = ["local-2"]', 'regions  = ["local-2", "local-3"]'))
    code, out, _ = imgb(capsys, d, "plan", "--detailed-exitcode")
    assert code == 2
    assert "Builds: 0, copies: 1, shares: 1" in out
    code, out, err = imgb(capsys, d, "apply", "--auto-approve")
    assert code == 0, err
    assert "Building" not in out

    code, out, _ = imgb(capsys, d, "images", "--json")
    rows = json.loads(out)
    assert {r["region"] for r in rows if r.get("content_hash")} >= {"local-1", "local-2", "local-3"}

    code, out, err = imgb(capsys, d, "destroy", "--auto-approve")
    assert code == 0, err
    assert "Destroy complete!" in out
    code, out, _ = imgb(capsys, d, "state", "list")
    assert out == ""
    code, out, _ = imgb(capsys, d, "images", "--json")
    assert not [r for r in json.loads(out) if r.get("content_hash")], "imgb-made images left after destroy"


def test_saved_plan_applies_once(quickstart: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = quickstart
    plan = d / "web.imgbplan"
    code, _, err = imgb(capsys, d, "plan", "--out", str(plan))
    assert code == 0, err
    assert plan.stat().st_mode & 0o077 == 0
    code, out, _ = imgb(capsys, d, "show", str(plan))
    assert "image.web will be built" in out
    code, _, err = imgb(capsys, d, "apply", str(plan))
    assert code == 0, err
    # Terraform applies a plan made against empty state twice; imgb refuses.
    code, _, err = imgb(capsys, d, "apply", str(plan))
    assert code == 1 and "Saved plan is stale" in err


def test_saved_plan_refused_after_config_change_or_tampering(quickstart: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = quickstart
    plan = d / "p.imgbplan"
    assert imgb(capsys, d, "plan", "--out", str(plan))[0] == 0
    (d / "files" / "index.html").write_text("<p>changed</p>\n")
    code, _, err = imgb(capsys, d, "apply", str(plan))
    assert code == 1 and "Saved plan is stale" in err and "configuration" in err

    assert imgb(capsys, d, "plan", "--out", str(plan))[0] == 0
    doc = json.loads(plan.read_text())
    doc["plan"]["changes"][0]["after"]["name"] = "evil"
    plan.write_text(json.dumps(doc))
    code, _, err = imgb(capsys, d, "apply", str(plan))
    assert code == 1 and "Invalid plan file" in err and "modified" in err
    assert not (d / "imgb.state.json").exists()


HOLD_LOCK = """
import sys, time
from pathlib import Path
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
with StateManager(LocalBackend(Path(sys.argv[1]))).session("apply"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_second_apply_fails_at_once_showing_the_holder(quickstart: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = quickstart
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(d / "imgb.state.json"), "3"], cwd=ROOT, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
    code, _, err = imgb(capsys, d, "apply", "--auto-approve")
    assert code == 1
    assert "Error acquiring the state lock" in err and "Operation: apply" in err and "PID:" in err
    code, _, err = imgb(capsys, d, "apply", "--auto-approve", "--lock-timeout", "20s")
    assert code == 0, err
    holder.wait(timeout=10)


def test_concurrent_applies_never_corrupt_state(tmp_path: Path) -> None:
    d = tmp_path / "c"
    d.mkdir()
    (d / "main.imgb.hcl").write_text('provider "local" {\n  root   = ".imgb/cloud"\n  region = "local-1"\n}\n\ncomponent "app" {\n  content = "RUN true"\n}\n')
    outcomes = []
    for i in range(20):
        if i:
            (d / "main.imgb.hcl").write_text((d / "main.imgb.hcl").read_text().replace(f'"RUN true{"" if i == 1 else i - 1}"', f'"RUN true{i}"'))
        procs = [
            subprocess.Popen([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(d), "apply", "--auto-approve"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        results = [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in procs]
        outcomes.append(sorted(r[0] for r in results))
        for code, err in results:
            assert code == 0 or "Error acquiring the state lock" in err, err
        state = json.loads((d / "imgb.state.json").read_text())
        assert [r["address"] for r in state["resources"]] == ["component.app"]
    assert all(o[0] == 0 for o in outcomes)
