"""imgb image import: a root file system becomes a base image a template builds on; bad sources are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgb.reconciler.cli import main

CONFIG = """
provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}

template "app" {
  base_image = "mybase"
  build      = "RUN test -f /etc/hello"
}
"""


def test_import_then_build_on_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "bin").mkdir()
    (rootfs / "etc" / "hello").write_text("hi\n")
    shutil.copy("/bin/busybox", rootfs / "bin" / "busybox")
    (rootfs / "bin" / "sh").symlink_to("busybox")
    (rootfs / "bin" / "test").symlink_to("busybox")
    d = tmp_path / "repo"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(CONFIG)

    assert main(["-C", str(d), "image", "import", "mybase", str(rootfs)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Imported {rootfs} as mybase (m-") and "{" not in out
    assert main(["-C", str(d), "apply", "--auto-approve"]) == 0, capsys.readouterr()
    capsys.readouterr()

    assert main(["-C", str(d), "image", "import", "other", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert "no such file or directory" in err and "internal error" not in err
    assert not (d / "imgb-debug.log").exists()
