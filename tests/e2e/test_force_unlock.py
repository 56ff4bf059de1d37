"""imgb force-unlock: refused while the holder runs on this host, and plain when nothing is locked."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from imgb.reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from imgb.state.local import LocalBackend
    from imgb.state.manager import StateManager
    m = StateManager(LocalBackend(Path(sys.argv[1])))
    with m.session("apply") as s:
        print(s.lock_info.id, flush=True)
        time.sleep(60)
    """
)


def run(capsys: pytest.CaptureFixture[str], d: Path, *args: str) -> tuple[int, str]:
    code = main(["-C", str(d), *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_force_unlock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.imgb.hcl").write_text('component "agent" {\n  content = "RUN true"\n}\n')
    code, out = run(capsys, tmp_path, "force-unlock", "0000")
    assert code == 1 and "is not locked" in out and "Someone else" not in out

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "imgb.state.json")], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        lock_id = holder.stdout.readline().strip()
        code, out = run(capsys, tmp_path, "force-unlock", lock_id)
        assert code == 1 and f"process {holder.pid}" in out and "still holds" in out
        code, out = run(capsys, tmp_path, "plan")
        assert code == 1 and lock_id in out  # the lock is still there
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    code, out = run(capsys, tmp_path, "force-unlock", lock_id)
    assert code == 1 and "is not locked" in out  # a dead holder's lock is released by itself
    code, out = run(capsys, tmp_path, "plan")
    assert code == 0, out
