"""The wheel installs one top-level package, ``imgb``, and it imports from there alone.

Distributions on the public index install modules named ``state`` and ``providers``; imgb must
never be one of them (issue 18). In a checkout, ``imgb/reconciler`` and its siblings are links to
the top-level folders; the wheel must hold real copies under ``imgb/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    found = set()
    for prefix, folder in setuptools["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            if rel.parts and rel.parts[0] in ("reconciler", "providers", "state"):
                continue  # imgb/'s links, listed under their own prefix
            found.add(".".join((prefix, *rel.parts)))
    assert found == listed


def test_checkout_links_point_at_the_top_level_folders() -> None:
    for name in ("reconciler", "providers", "state"):
        link = ROOT / "imgb" / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve()


@pytest.mark.slow
def test_wheel_has_one_top_level_package_and_imports_from_it(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = out.glob("imgb-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    top = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith((".dist-info", ".data"))}
    assert top == {"imgb"}
    assert "imgb/reconciler/cli.py" in names and "imgb/state/manager.py" in names
    assert "imgb/reconciler/scaffold/templates/main.imgb.hcl" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    probe = ("import imgb.reconciler, imgb.reconciler.cli, imgb.providers.local, imgb.state.manager;"
             "print(imgb.reconciler.__file__)")
    env = {**os.environ, "PYTHONPATH": str(target)}
    r = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=60, check=True)
    assert Path(r.stdout.strip()).is_relative_to(target)
