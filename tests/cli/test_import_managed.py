"""imgb import refuses what the state already manages: an address that holds an object, and an
object managed at another address. Either would record one object twice; the state is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgb.reconciler.cli import main


def imgb(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-chdir=" + str(d), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_refuses_what_is_already_managed(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = imgb(capsys, cfg, "state", "pull")
    resources = json.loads(out)["resources"]
    ids = {r["address"]: r["id"] for r in resources}
    listed = imgb(capsys, cfg, "state", "list")[1]
    state_file = cfg / "imgb.state.json"
    before = state_file.read_bytes()

    code, out, err = imgb(capsys, cfg, "import", "image.web", ids["image.web"])
    assert code == 1 and "Imported" not in out
    assert "Error: Resource already managed" in err and f"image.web is already in the state ({ids['image.web']})" in err

    code, out, err = imgb(capsys, cfg, "import", "template.web", ids["component.hardening"])
    assert code == 1 and "Error: Resource already managed" in err

    # the same object under a second address
    main_hcl = cfg / "main.imgb.hcl"
    main_hcl.write_text(main_hcl.read_text() + '\ncomponent "again" {\n  content = "RUN true"\n}\n')
    code, out, err = imgb(capsys, cfg, "import", "component.again", ids["component.hardening"])
    assert code == 1 and "Error: Object already managed" in err and "already managed as component.hardening" in err

    assert state_file.read_bytes() == before
    assert imgb(capsys, cfg, "state", "list")[1] == listed
