"""The state manager: journal replay equals the in-memory state, O(1) persistence, threads, push rules."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from state_builders import component

from imgb.addresses import Kind
from imgb.state.backend import BackendError
from imgb.state.local import LocalBackend
from imgb.state.manager import CHECKPOINT_MIN_BYTES, PushRefused, StateManager, encode_state
from imgb.state.model import BuildFailure, Operation, OutputState, ResourceState, State


def _image(template: str, h: str) -> ResourceState:
    return ResourceState(
        address=f"image.{template}",
        kind=Kind.IMAGE,
        provider="local",
        id=f"img-{h}",
        template=f"template.{template}",
        image_hash=h,
    )


def _crash(mgr: StateManager) -> None:
    """End the process's hold on the state without the final checkpoint (as a crash would)."""
    mgr.backend.close()


def test_every_mutation_survives_a_crash(tmp_path: Path) -> None:
    mgr = StateManager(LocalBackend(tmp_path / "s.json"))
    s = mgr.session("apply")
    s.__enter__()
    s.put(component(1))
    s.put(component(2))
    s.put(component(1, changed=True))
    s.remove("component.c2")
    s.put(_image("web", "aaaa"))
    s.put(_image("web", "bbbb"))
    s.promote("template.web", "aaaa", "2026-01-01T00:00:00Z")
    s.promote("template.web", "bbbb", "2026-01-02T00:00:00Z")
    s.promote("template.api", "cccc", "2026-01-01T00:00:00Z")
    s.retire("template.api", "2026-01-03T00:00:00Z")
    s.set_failure("template.web", BuildFailure(address="image.web", provider="local", hash="dddd", at="2026-01-04T00:00:00Z",
                                               code="CommandFailed", message="exit 1", handle={"op": "k"}))
    s.move_template("template.web", "template.www")
    s.move_template("template.www", "template.web")
    s.put(_image("web", "eeee"))
    s.promote("template.web", "eeee", "2026-01-05T00:00:00Z")
    s.rehash("template.web", "eeee", "ffff")  # a moved component re-keys the generation in service
    s.promote("template.web", "bbbb", "2026-01-06T00:00:00Z")
    op = Operation(
        address='copy.web["r2"]',
        kind=Kind.COPY,
        provider="local",
        token="t1",
        handle={"task": 7},
        started_at="2026-01-01T00:00:00Z",
        image_hash="bbbb",
    )
    s.begin_operation(op)
    s.begin_operation(op.model_copy(update={"token": "t2"}))  # replaces the marker for the same key
    s.begin_operation(op.model_copy(update={"address": 'copy.web["r3"]'}))
    s.end_operation('copy.web["r3"]', "bbbb")
    s.set_outputs({"ids": {"r1": "img-bbbb"}, "secret": OutputState(value="x", sensitive=True)})
    in_memory = s.state.model_copy(deep=True)
    _crash(mgr)

    loaded = StateManager(LocalBackend(tmp_path / "s.json")).load()
    assert encode_state(loaded) == encode_state(in_memory)
    c1 = loaded.get("component.c1")
    assert c1 is not None and c1.attributes == {"changed": True}
    assert loaded.get("component.c2") is None
    assert loaded.current == {"template.web": "bbbb"}
    assert [(p.hash, p.since, p.until) for p in loaded.in_service["template.web"]] == [
        ("aaaa", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
        ("bbbb", "2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z"),
        ("ffff", "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"),
        ("bbbb", "2026-01-06T00:00:00Z", None),
    ]
    assert [(p.hash, p.until) for p in loaded.in_service["template.api"]] == [("cccc", "2026-01-03T00:00:00Z")]
    assert loaded.failures["template.web"].hash == "dddd" and loaded.failures["template.web"].handle == {"op": "k"}
    assert [(o.address, o.token) for o in loaded.operations] == [('copy.web["r2"]', "t2")]
    assert loaded.outputs["ids"].value == {"r1": "img-bbbb"} and loaded.outputs["secret"].sensitive


def test_serial_rises_by_one_per_checkpoint_and_lineage_is_fixed(tmp_path: Path) -> None:
    mgr = StateManager(LocalBackend(tmp_path / "s.json"))
    with mgr.session("apply") as s:
        s.put(component(1))
        lineage = s.state.lineage
        assert s.serial == 1  # the first put created the state
        s.checkpoint()
        assert s.serial == 2
        s.put(component(2))  # journaled on top of serial 2
        assert mgr.load().serial == 2 and len(mgr.load().resources) == 2
    assert mgr.load().serial == 3  # the session's end compacted
    with mgr.session("apply"):
        pass  # nothing changed: nothing written
    assert mgr.load().serial == 3
    mgr.write(State(resources=[component(9)]))  # a whole-state write keeps the lineage
    after = mgr.load()
    assert (
        after.serial == 4
        and after.lineage == lineage
        and [r.address for r in after.resources] == ["component.c9"]
    )


def _counted_puts(path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], int]:
    """n puts in one session; the bytes the backend has written after each put, and the checkpoints.

    Work is counted in bytes, not seconds: the machine is shared and timings belong to bench/."""
    real_write = os.write
    written = [0]

    def counting_write(fd: int, data: bytes | memoryview) -> int:
        k = real_write(fd, data)
        written[0] += k
        return k

    monkeypatch.setattr(os, "write", counting_write)
    mgr = StateManager(LocalBackend(path))
    resources = [component(i, name=f"comp-{i}", size=i) for i in range(n)]
    after: list[int] = []
    with mgr.session("apply") as s:
        for r in resources:
            s.put(r)
            after.append(written[0])
        checkpoints = s.checkpoints
    monkeypatch.setattr(os, "write", real_write)
    assert len(mgr.load().resources) == n
    return after, checkpoints


@pytest.mark.parametrize("n", [300, pytest.param(2000, marks=pytest.mark.slow)])
def test_durable_puts(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdatasync = os.fdatasync
    synced = [0]

    def counted_fdatasync(fd: int) -> None:
        real_fdatasync(fd)
        synced[0] += 1

    monkeypatch.setattr(os, "fdatasync", counted_fdatasync)
    _, checkpoints = _counted_puts(tmp_path / "s.json", n, monkeypatch)
    assert synced[0] >= n - 1  # every put but the first (which wrote the snapshot) waited for the disk
    assert checkpoints <= 6  # compaction is geometric: the journal must outgrow the snapshot


def test_2000_puts_write_what_they_change_not_the_whole_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # imgb's cost per put must not grow with the number of resources already in the state
    # (Terraform writes the whole state each time). With geometric compaction, everything written
    # is a few times the final state; rewriting the state per put would be about n/2 times it.
    monkeypatch.setattr(os, "fdatasync", lambda fd: None)
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    after, _ = _counted_puts(tmp_path / "s.json", 2000, monkeypatch)
    final = (tmp_path / "s.json").stat().st_size
    print(f"\n2000 puts wrote {after[-1]} bytes; the final state is {final} bytes")
    assert after[-1] <= 6 * final, (after[-1], final)
    first, last = after[499], after[-1] - after[-501]
    assert last <= 8 * first, (first, last)  # the last 500 puts cost about what the first 500 did


def test_journal_is_compacted_when_it_outgrows_the_snapshot(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "s.json")
    with StateManager(b).session("apply") as s:
        big = "x" * 2000
        n = CHECKPOINT_MIN_BYTES // 2000 + 5
        for i in range(n):
            s.put(component(i, blob=big))
        assert s.checkpoints >= 2  # the initial snapshot and at least one compaction
        assert sum(len(e) for e in b.journal()) <= CHECKPOINT_MIN_BYTES + 4096


def test_threads_batch_and_replay_equals_memory(tmp_path: Path) -> None:
    mgr = StateManager(LocalBackend(tmp_path / "s.json"))
    s = mgr.session("apply")
    s.__enter__()
    s.put(component("seed"))
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(150):
                s.put(component(f"{t}_{i}", n=i))
                if i % 10 == 0:
                    s.put(component("shared", by=t, step=i))  # same key from every thread: order matters
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    in_memory = encode_state(s.state)
    puts = 1 + 8 * 165
    appends = s.appends
    _crash(mgr)
    loaded = StateManager(LocalBackend(tmp_path / "s.json")).load()
    assert encode_state(loaded) == in_memory
    assert len(loaded.resources) == 1 + 8 * 150 + 1
    print(f"{puts} puts from 8 threads took {appends} journal appends")
    assert appends < puts  # concurrent entries shared fsyncs


def test_push_rules(tmp_path: Path) -> None:
    mgr = StateManager(LocalBackend(tmp_path / "s.json"))
    with mgr.session("apply") as s:
        s.put(component(1))
    current = mgr.load()
    assert current.serial == 1  # the first put wrote the snapshot; nothing was left to compact

    with pytest.raises(PushRefused, match="lineage"):
        mgr.push(State(serial=10))
    with pytest.raises(PushRefused, match="older"):
        mgr.push(current.model_copy(update={"serial": 0}))
    with pytest.raises(PushRefused, match="same serial"):
        mgr.push(current.model_copy(update={"resources": []}))
    assert mgr.load().serial == 1  # nothing written

    mgr.push(current.model_copy(update={"serial": 7, "resources": []}))
    assert mgr.load().serial == 7  # a pushed serial ahead is kept
    other = State(serial=1, resources=[component(5)])
    mgr.push(other, force=True)
    forced = mgr.load()
    assert forced.lineage == other.lineage and forced.serial == 8  # never goes back


def test_push_into_empty_workspace_keeps_lineage_and_serial(tmp_path: Path) -> None:
    mgr = StateManager(LocalBackend(tmp_path / "s.json"))
    pushed = State(serial=41, resources=[component(1)])
    mgr.push(pushed)
    loaded = mgr.load()
    assert loaded.lineage == pushed.lineage and loaded.serial == 41


def test_unknown_journal_entry_is_a_clear_error(tmp_path: Path) -> None:
    b = LocalBackend(tmp_path / "s.json")
    with StateManager(b).session("apply") as s:
        s.put(component(1))
    b.append([json.dumps({"op": "teleport"}).encode()])
    with pytest.raises(BackendError) as e:
        StateManager(b).load()
    assert "journal entry 1" in str(e.value) and "teleport" in str(e.value)


def test_session_requires_with(tmp_path: Path) -> None:
    s = StateManager(LocalBackend(tmp_path / "s.json")).session("apply")
    with pytest.raises(BackendError, match="not open"):
        s.put(component(1))


class _Interleaving(LocalBackend):
    """Runs ``hook`` once between a reader's snapshot read and its journal read."""

    hook: Callable[[], None] | None = None

    def journal(self, workspace: str = "default") -> list[bytes]:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return super().journal(workspace)


def test_unlocked_reader_never_replays_a_journal_onto_the_wrong_snapshot(tmp_path: Path) -> None:
    # plan-like readers load without the lock. If a writer compacts and appends between the
    # reader's two reads, the new journal must not be replayed onto the old snapshot.
    writer = StateManager(LocalBackend(tmp_path / "s.json"))
    reader_backend = _Interleaving(tmp_path / "s.json")
    with writer.session("apply") as s:
        s.put(component(0))  # snapshot 1: {c0}
        s.put(component(1))  # journal on snapshot 1: put c1

        def compact_then_remove() -> None:
            s.checkpoint()  # snapshot 2: {c0, c1}
            s.remove("component.c0")  # journal on snapshot 2: remove c0

        reader_backend.hook = compact_then_remove
        seen = StateManager(reader_backend).load()
        # Snapshot 1 + [remove c0] would be {} (c1 lost); the real states were {c0, c1} then {c1}.
        assert [r.address for r in seen.resources] == ["component.c1"]
        assert seen.serial == 2


def test_session_get_is_indexed(tmp_path: Path) -> None:
    with StateManager(LocalBackend(tmp_path / "s.json")).session("apply") as s:
        s.put(_image("web", "aaaa"))
        s.put(component(1))
        assert s.get("image.web", "aaaa") is not None and s.get("image.web") is None
        s.remove("image.web", "aaaa")
        assert s.get("image.web", "aaaa") is None and s.get("component.c1") is not None
