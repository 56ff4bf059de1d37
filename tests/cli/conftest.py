"""Fixtures for tests/cli: the README's own example, applied once (a real build) per session."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's example, applied once (a real build); each test works on a copy."""
    base = tmp_path_factory.mktemp("readme")
    d = base / "cfg"
    (d / "components").mkdir(parents=True)
    (d / "main.imgb.hcl").write_text(re.search(r"```hcl\n(.*?)```", README, re.S).group(1))  # type: ignore[union-attr]
    (d / "components" / "hardening.dockerfile").write_text("RUN echo hardened > /etc/hardened\n")
    old = os.environ.get("IMGB_HOME")
    os.environ["IMGB_HOME"] = str(base / "store")
    try:
        assert main(["-chdir=" + str(d), "apply", "-auto-approve"]) == 0
    finally:
        if old is None:
            os.environ.pop("IMGB_HOME")
        else:
            os.environ["IMGB_HOME"] = old
    return base


@pytest.fixture
def cfg(applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(applied, tmp_path / "copy", symlinks=True)
    monkeypatch.setenv("IMGB_HOME", str(tmp_path / "copy" / "store"))
    return tmp_path / "copy" / "cfg"


