"""Fixtures of the security suite: a store, a configuration directory, builds, a busybox tree with
the attack probe (probe.c) in it, and what "the host is untouched" means for each attack.

Every test here runs twice in CI: as root (directly) and as the throwaway user ``imgb-rootless``
(test_rootless_suite.py runs this directory again as that user). Attacks never aim at real host
paths: each prepares its own victim in a temporary directory and checks it afterwards, or aims at
a kernel setting with the value it already has (so even an escape would change nothing).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from imgb.providers.base import no_progress
from imgb.providers.local import LocalProvider, sandbox
from imgb.providers.local.baseimages import make_busybox_rootfs
from tests.local.conftest import SANDBOX_REASON, Build, make_template, needs_sandbox

__all__ = ["SANDBOX_REASON", "Build", "Victim", "make_template", "needs_sandbox", "run_in", "tree_state"]

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == HERE:
            item.add_marker(pytest.mark.security)


@pytest.fixture(scope="session")
def probe_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """probe.c, statically linked (images have no libc of their own)."""
    out = tmp_path_factory.mktemp("probe") / "probe"
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "the security suite needs gcc (apt-get install gcc libc6-dev; .ci/install does)"
    res = subprocess.run([cc, "-static", "-O1", "-o", str(out), str(HERE / "probe.c")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture
def rootfs(tmp_path: Path, probe_binary: Path) -> Path:
    """A busybox tree with /bin/probe, for attacks run straight through the sandbox."""
    root = tmp_path / "rootfs"
    root.mkdir()
    make_busybox_rootfs(str(root))
    shutil.copy(probe_binary, root / "bin" / "probe")
    os.chmod(root / "bin" / "probe", 0o755)
    return root


def run_in(root: Path, script: str, **kw: Any) -> sandbox.RunResult:
    """Run ``script`` with /bin/sh in the sandbox over ``root``; the setup must succeed."""
    kw.setdefault("timeout", 60)
    res = sandbox.run(str(root), ["/bin/sh", "-c", script], **kw)
    assert res.setup_error is None, res.setup_error
    return res


def out(res: sandbox.RunResult) -> str:
    return (res.stdout + res.stderr).decode(errors="replace")


@pytest.fixture
def provider(tmp_path: Path) -> LocalProvider:
    return LocalProvider(tmp_path / "cloud", "local-1")


@pytest.fixture
def context(tmp_path: Path, probe_binary: Path) -> Path:
    ctx = tmp_path / "config"
    (ctx / "files").mkdir(parents=True)
    (ctx / "files" / "index.html").write_text("<h1>hello</h1>\n")
    shutil.copy(probe_binary, ctx / "probe")
    return ctx


@pytest.fixture
def build(provider: LocalProvider, context: Path) -> Build:
    """build(build_content, test_content="", base="busybox", **template attrs) -> image attributes."""

    def run(build_content: str, test_content: str = "", base: str = "busybox", **extra: Any) -> dict[str, Any]:
        tid = make_template(provider, build_content, test_content, base, **extra)
        desired = {"template_id": tid, "content_hash": "h", "image_name": "img", "image_family": "fam",
                   "image_tags": {}, "tags": {}, "context_dir": str(context)}
        return provider.wait("image", provider.start("image", desired, str(uuid.uuid4())), no_progress)

    return run


def tree_state(path: Path) -> dict[str, tuple[int, int, int, int, str]]:
    """Every entry under ``path`` (itself included): mode, uid, gid, mtime and content digest."""
    out: dict[str, tuple[int, int, int, int, str]] = {}
    for p in [path, *sorted(path.rglob("*"))]:
        st = p.lstat()
        digest = ""
        if stat.S_ISREG(st.st_mode):
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            digest = os.readlink(p)
        out[str(p.relative_to(path))] = (st.st_mode, st.st_uid, st.st_gid, int(st.st_mtime), digest)
    return out


class Victim:
    """A host directory an attack aims at, with a secret file; ``untouched()`` compares it with
    how it was made (modes, owners, times, contents, no new entries)."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o755)
        self.secret = path / "secret.txt"
        self.secret.write_text("host secret 7d1c0ffee\n")
        os.chmod(self.secret, 0o644)
        self.before = tree_state(path)

    def untouched(self) -> bool:
        return tree_state(self.path) == self.before


@pytest.fixture
def victim(tmp_path: Path) -> Victim:
    return Victim(tmp_path / "victim")

