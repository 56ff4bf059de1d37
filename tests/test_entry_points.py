"""``imgb.plugins`` reads entry points without importing ``importlib.metadata`` (its import costs more
than a small configuration's validate); what it finds must be what ``importlib.metadata`` finds."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from imgb import plugins


def reference(group: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for ep in entry_points(group=group):
        out.setdefault(ep.name, ep.value)
    return out


def dist(where: Path, name: str, text: str, kind: str = "dist-info") -> None:
    d = where / f"{name}-1.0.{kind}" if kind == "dist-info" else where / f"{name}.{kind}"
    d.mkdir(parents=True)
    (d / "METADATA" if kind == "dist-info" else d / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (d / "entry_points.txt").write_text(text)


@pytest.fixture
def path_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    dist(first, "acme_imgb", "# a comment\n[imgb.providers]\nacme = acme_imgb.p:PROVIDER\n\n"
         "[imgb.backends]\ns3 =  acme_imgb.b:BACKEND \n[console_scripts]\nacme = acme_imgb:main\n")
    dist(second, "other", "[imgb.providers]\nacme = other.p:SHADOWED\nzeta=other.z:PROVIDER\n", kind="egg-info")
    dist(second, "acme_imgb", "[imgb.providers]\nlate = acme_imgb.late:P\n")  # the same distribution again
    dist(second, "third", "[imgb.backends]\nmem = third:BACKEND\n")
    dist(first, "shadow", "[console_scripts]\nshadow = shadow:main\n")  # nothing of imgb's, yet it counts:
    dist(second, "shadow", "[imgb.providers]\nghost = shadow.g:PROVIDER\n")  # this copy is never read
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    plugins.rescan()
    yield first, second
    plugins.rescan()


def test_the_scan_finds_what_importlib_metadata_finds(path_entries: tuple[Path, Path]) -> None:
    for group in (plugins.PROVIDERS, plugins.BACKENDS, "console_scripts", "pytest11", "no.such.group"):
        assert plugins._entry_points(group) == reference(group), group
    assert plugins._entry_points(plugins.PROVIDERS)["acme"] == "acme_imgb.p:PROVIDER"  # first on sys.path wins
    assert "late" not in plugins._entry_points(plugins.PROVIDERS)  # a distribution counts once
    assert plugins._entry_points(plugins.BACKENDS)["mem"] == "third:BACKEND"
    assert "ghost" not in plugins._entry_points(plugins.PROVIDERS)


def test_a_zip_on_sys_path_is_read_by_importlib_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        z.writestr("zipped-1.0.dist-info/entry_points.txt", "[imgb.providers]\nzipped = zipped:PROVIDER\n")
    monkeypatch.syspath_prepend(str(archive))
    plugins.rescan()
    try:
        assert plugins._entry_points(plugins.PROVIDERS)["zipped"] == "zipped:PROVIDER"
    finally:
        plugins.rescan()


def test_validate_does_not_import_importlib_metadata(tmp_path: Path) -> None:
    (tmp_path / "main.imgb.hcl").write_text('provider "local" {\n  root = "cloud"\n}\n\ncomponent "app" {\n  content = "RUN true"\n}\n')
    code = ("import sys; sys.argv = ['imgb', 'validate']; from imgb.reconciler.launch import main; rc = main(); "
            "sys.exit(rc or ('importlib.metadata' in sys.modules and 'importlib.metadata was imported'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"IMGB_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
