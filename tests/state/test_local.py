"""The local backend's files: format, atomic replacement, backup, journal damage, disk full, stale locks."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from state_builders import component

from imgb.state.backend import BackendError, LockError, LockInfo
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_snapshot_is_pretty_sorted_json_with_mode_0600(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    with StateManager(b).session("apply") as s:
        s.put(component(2, b=1, a=2))
        s.put(component(1))
    text = (tmp_path / "imgb.state.json").read_text()
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert [r["address"] for r in doc["resources"]] == ["component.c1", "component.c2"]
    assert doc["serial"] == 2  # created at 1 by the first put, compacted at the end of the session
    assert _mode(tmp_path / "imgb.state.json") == 0o600
    assert _mode(tmp_path / "imgb.state.json.backup") == 0o600
    # A second copy of the snapshot (restoring the previous one would forget the last changes).
    assert (tmp_path / "imgb.state.json.backup").read_text() == text
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == ["imgb.state.json", "imgb.state.json.backup"]


def test_workspace_layout_like_terraform(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "state.json")
    assert b.state_path() == tmp_path / "state.json"
    assert b.state_path("staging") == tmp_path / "imgb.state.d" / "staging" / "state.json"
    with pytest.raises(BackendError, match="not a valid workspace name"):
        b.state_path("../escape")


def _journal_lines(tmp_path: Path) -> list[bytes]:
    return (tmp_path / "imgb.state.json.journal").read_bytes().splitlines(keepends=True)


def _session_with_puts(b: LocalBackend, n: int) -> None:
    """Leave n journaled puts behind, as a crash before the final checkpoint would."""
    s = StateManager(b).session("apply")
    s.__enter__()
    for i in range(n):
        s.put(component(i))
    b.close()  # releases the lock without the checkpoint __exit__ would do


def test_torn_last_journal_line_is_dropped_and_cut_off(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    _session_with_puts(b, 4)
    journal = tmp_path / "imgb.state.json.journal"
    lines = _journal_lines(tmp_path)
    assert len(lines) == 1 + 3  # header + 3 appends (the first put wrote the initial snapshot)
    journal.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # a crash mid-write
    state = StateManager(LocalBackend(tmp_path / "imgb.state.json")).load()
    assert sorted(r.address for r in state.resources) == ["component.c0", "component.c1", "component.c2"]
    # The next append cuts the torn tail off first, so it is not glued to the new line.
    b2 = LocalBackend(tmp_path / "imgb.state.json")
    with StateManager(b2).session("apply") as s:
        s.put(component(9))
        assert len(_journal_lines(tmp_path)) == 1 + 2 + 1
    assert len(StateManager(b2).load().resources) == 4


def test_bad_checksum_on_last_line_is_dropped(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    _session_with_puts(b, 3)
    lines = _journal_lines(tmp_path)
    lines[-1] = lines[-1].replace(b"id-2", b"id-X")
    (tmp_path / "imgb.state.json.journal").write_bytes(b"".join(lines))
    assert len(StateManager(LocalBackend(tmp_path / "imgb.state.json")).load().resources) == 2


def test_corrupt_middle_line_is_an_error_naming_the_line(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    _session_with_puts(b, 4)
    lines = _journal_lines(tmp_path)
    lines[2] = lines[2].replace(b"id-2", b"id-X")
    (tmp_path / "imgb.state.json.journal").write_bytes(b"".join(lines))
    with pytest.raises(BackendError) as e:
        StateManager(LocalBackend(tmp_path / "imgb.state.json")).load()
    assert "corrupt at line 3" in str(e.value)
    assert "imgb.state.json.journal" in str(e.value)


def test_unreadable_snapshot_names_file_and_backup(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    with StateManager(b).session("apply") as s:
        s.put(component(1))
    (tmp_path / "imgb.state.json").write_text('{"serial": "nope"')
    with pytest.raises(BackendError) as e:
        StateManager(b).load()
    assert str(tmp_path / "imgb.state.json") in str(e.value)
    assert ".backup" in str(e.value)


def test_stale_journal_after_crash_between_snapshot_and_journal_removal(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    _session_with_puts(b, 3)
    saved = (tmp_path / "imgb.state.json.journal").read_bytes()
    b2 = LocalBackend(tmp_path / "imgb.state.json")
    with StateManager(b2).session("apply") as s:
        s.checkpoint()  # compacts: new snapshot, journal removed
    # Put the old journal back, as if the crash came right after the snapshot rename.
    (tmp_path / "imgb.state.json.journal").write_bytes(saved)
    state = StateManager(LocalBackend(tmp_path / "imgb.state.json")).load()
    assert state.serial == 2 and len(state.resources) == 3  # entries not applied twice, none lost
    assert LocalBackend(tmp_path / "imgb.state.json").journal() == []


def _enospc(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_during_snapshot_write_keeps_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    mgr = StateManager(b)
    with mgr.session("apply") as s:
        s.put(component(1))
    before = (tmp_path / "imgb.state.json").read_bytes()
    with mgr.session("apply") as s:
        s.put(component(2))  # journaled
        monkeypatch.setattr(os, "fsync", _enospc)
        with pytest.raises(BackendError) as e:
            s.checkpoint()
        monkeypatch.undo()
        assert "disk is full" in str(e.value) and "intact" in str(e.value)
        assert (tmp_path / "imgb.state.json").read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files
        loaded = StateManager(LocalBackend(tmp_path / "imgb.state.json")).load()
        assert sorted(r.address for r in loaded.resources) == ["component.c1", "component.c2"]
    assert len(mgr.load().resources) == 2


def test_disk_full_during_append_leaves_no_partial_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    mgr = StateManager(b)
    real_write = os.write

    def half_then_enospc(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data)[:10])  # part of the line reaches the file, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(BackendError, match="disk is full"), mgr.session("apply") as s:
        s.put(component(1))
        s.put(component(2))
        monkeypatch.setattr(os, "write", half_then_enospc)
        try:
            s.put(component(3))
        finally:
            monkeypatch.undo()
            lines = _journal_lines(tmp_path)
            assert all(line.endswith(b"\n") for line in lines) and len(lines) == 2  # header + c2; c3 cut off
            loaded = StateManager(LocalBackend(tmp_path / "imgb.state.json")).load()
            assert sorted(r.address for r in loaded.resources) == ["component.c1", "component.c2"]
    # Leaving the session with the error, one more checkpoint saved c3 (kept in memory) once space was back.
    loaded = StateManager(LocalBackend(tmp_path / "imgb.state.json")).load()
    assert sorted(r.address for r in loaded.resources) == ["component.c1", "component.c2", "component.c3"]


def test_failed_append_is_saved_by_the_next_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    mgr = StateManager(b)
    with mgr.session("apply") as s:
        s.put(component(1))
        monkeypatch.setattr(os, "fdatasync", _enospc)
        with pytest.raises(BackendError):
            s.put(component(2))
        monkeypatch.undo()
        with pytest.raises(BackendError, match="earlier write"):
            s.put(component(3))  # refused while the journal has a gap; kept in memory
        s.checkpoint()  # space is back: the whole state is written
        s.put(component(4))
    assert sorted(r.address for r in mgr.load().resources) == [f"component.c{i}" for i in (1, 2, 3, 4)]


def test_stale_lock_of_dead_pid_held_by_forked_child_is_taken_over(tmp_path: Path) -> None:
    # The holder forks a child that inherits the flock, then the holder dies: the lock file names
    # a dead pid on this host, so it is stale even though the kernel still sees the flock.
    code = f"""
import os, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from imgb.state.local import LocalBackend
from imgb.state.backend import LockInfo
b = LocalBackend({str(tmp_path / "imgb.state.json")!r})
b.lock(LockInfo(operation="dead"))
child = os.fork()
if child == 0:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)  # let the parent's pipes close
    time.sleep(30)
    os._exit(0)
print(child, flush=True)
os._exit(0)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    orphan = int(proc.stdout.strip())
    try:
        _take_over_stale_lock(tmp_path)
    finally:
        os.kill(orphan, signal.SIGKILL)


def _take_over_stale_lock(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "imgb.state.json")
    assert b.lock_holder() is None
    info = LockInfo(operation="new")
    b.lock(info)
    assert b.lock_holder() == info
    other = LocalBackend(tmp_path / "imgb.state.json")
    with pytest.raises(LockError) as e:
        other.lock(LockInfo())
    assert e.value.holder is not None and e.value.holder.id == info.id
    assert "operation new" in str(e.value)


def test_leftover_lock_file_of_finished_process_is_free(tmp_path: Path) -> None:
    lock = tmp_path / "imgb.state.json.lock"
    lock.write_text(json.dumps(LockInfo(operation="gone").to_json()))
    b = LocalBackend(tmp_path / "imgb.state.json")
    assert b.lock_holder() is None
    b.lock(LockInfo(), timeout=0)
    assert _mode(lock) in (0o600, 0o644)  # pre-existing file keeps its mode; ours are created 0600


def test_lock_timeout_gives_up_with_holder(tmp_path: Path) -> None:
    a, b = LocalBackend(tmp_path / "s.json"), LocalBackend(tmp_path / "s.json")
    held = LockInfo(operation="apply")
    a.lock(held)
    start = time.monotonic()
    with pytest.raises(LockError) as e:
        b.lock(LockInfo(), timeout=0.25)
    assert time.monotonic() - start >= 0.25
    assert e.value.holder == held
    a.unlock(held.id)
    b.lock(LockInfo(), timeout=0)
