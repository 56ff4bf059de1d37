"""A configuration directory for bad-input tests, and the CLI run in this process with its
output captured (no pytest fixture, so hypothesis can call it for every example).

The directory holds a state (snapshot, backup and journal) that no bad input may change, a
file and a directory inside it, and symlinks to a file and a directory outside it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from imgb.addresses import Kind
from imgb.reconciler.cli import main
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from imgb.state.model import ResourceState

OUTSIDE_MARKER = "OUTSIDE-THE-CONFIGURATION-7c1f"
STATE_FILES = ("imgb.state.json", "imgb.state.json.backup", "imgb.state.json.journal")
SMALL_CONFIG = """provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}

component "app" {
  content = "RUN echo app > /app"
}

template "web" {
  base_image = "busybox"
  build      = <<-EOT
    COMPONENT ${component.app.id}
    RUN echo web > /web
  EOT
  distribute = [distribution.everywhere]
}

distribution "everywhere" {
  regions  = ["local-2"]
  accounts = ["100000000001"]
}
"""


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def assert_clean(self, *allowed: int) -> None:
        """A diagnostic or a clean refusal: an allowed exit code, no traceback, no internal error."""
        both = self.out + self.err
        assert "Traceback" not in both, both[-3000:]
        assert "internal error" not in self.err, self.err[-3000:]
        assert self.code in (allowed or (0, 1, 2)), (self.code, both[-3000:])
        if self.code == 1:
            assert (self.err or self.out).strip(), "exit 1 without a message"  # fmt --check lists files on stdout


def imgb(d: Path, *args: str) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(d), *args])
    return Outcome(code, out.getvalue(), err.getvalue())


def make_site(d: Path, config: str = SMALL_CONFIG) -> Path:
    """A configuration directory with a state of three entries (snapshot, backup, journal)."""
    outside = d.parent / f"{d.name}-outside"
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "passwd").write_text(f"root:x:0:0:{OUTSIDE_MARKER}\n")
    (d / "files").mkdir(parents=True, exist_ok=True)
    (d / "files" / "a.txt").write_text("inside\n")
    for name, target in (("link-out", outside / "passwd"), ("dir-link", outside)):
        with contextlib.suppress(FileExistsError):
            os.symlink(target, d / name)
    (d / "main.imgb.hcl").write_text(config)
    manager = StateManager(LocalBackend(d / "imgb.state.json"))
    with manager.session("seed") as s:
        s.put(ResourceState(address="component.app", kind=Kind.COMPONENT, provider="local", id="ic-0123456789abcdef0123",
                            attributes={"name": "app", "content": "RUN echo app > /app"}))
        s.checkpoint()
    with manager.session("seed") as s:
        s.put(ResourceState(address="component.old", kind=Kind.COMPONENT, provider="local", id="ic-00000000000000000001"))
        s.checkpoint()
    older = ResourceState(address="component.older", kind=Kind.COMPONENT, provider="local", id="ic-00000000000000000002")
    entry = {"op": "put", "resource": older.model_dump(mode="json")}
    LocalBackend(d / "imgb.state.json").append([json.dumps(entry, sort_keys=True).encode()])  # a journal after the snapshot
    assert all((d / n).exists() for n in STATE_FILES), "the site needs a snapshot, a backup and a journal"
    return d


def state_bytes(d: Path) -> dict[str, bytes | None]:
    return {n: (d / n).read_bytes() if (d / n).exists() else None for n in STATE_FILES}
