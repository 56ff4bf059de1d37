"""The backend contract suite (like Terraform's ``statemgr.TestFull``): every backend must pass it.

A test supplies a ``BackendTarget`` (a JSON-able spec, so child processes can open the same
backend) per check, fresh each time, and runs ``CHECKS[name](target)``. The checks that need
another process start ``python -m state.contract`` with the spec in the environment (a pg
connection string never goes on a command line, where ``ps`` would show it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from imgb.addresses import Kind
from imgb.state.backend import DEFAULT_WORKSPACE, Backend, LockError, LockInfo, SerialConflict
from imgb.state.manager import StateManager
from imgb.state.model import ResourceState

SPEC_ENV = "IMGB_CONTRACT_SPEC"
_REPO_ROOT = Path(__file__).resolve().parent.parent


def backend_from_spec(spec: dict[str, str]) -> Backend:
    """The backend a spec names: its ``type`` (any registered backend) and its block's settings."""
    from imgb.state.open import open_backend

    settings = {k: v for k, v in spec.items() if k != "type"}
    # The configuration directory is where a local state lives (a state outside it needs the operator).
    directory = Path(settings["path"]).parent if "path" in settings else Path.cwd()
    return open_backend(spec["type"], settings, directory)


@dataclass
class BackendTarget:
    spec: dict[str, str]
    opened: list[Backend] = field(default_factory=list)

    def open(self) -> Backend:
        b = backend_from_spec(self.spec)
        self.opened.append(b)
        return b

    def close(self) -> None:
        for b in self.opened:
            b.close()
        self.opened.clear()


def doc(serial: int, lineage: str = "contract-lineage", **extra: object) -> bytes:
    """A minimal state document (backends may read "serial" and "lineage" from it)."""
    return (
        json.dumps({"serial": serial, "lineage": lineage, **extra}, indent=2, sort_keys=True) + "\n"
    ).encode()


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise AssertionError(message)


def _expect_raises(exc: type[BaseException], fn: Callable[[], object], message: str) -> BaseException:
    try:
        fn()
    except exc as e:
        return e
    raise AssertionError(message)


# -- child processes ---------------------------------------------------------------------------
class Child:
    """``python -m state.contract MODE WORKSPACE`` running against the target's backend."""

    def __init__(self, target: BackendTarget, mode: str, workspace: str = DEFAULT_WORKSPACE, *args: str):
        env = dict(os.environ)
        env[SPEC_ENV] = json.dumps(target.spec)
        env["PYTHONPATH"] = os.pathsep.join([str(_REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "imgb.state.contract", mode, workspace, *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def expect(self, prefix: str, timeout: float = 20.0) -> str:
        """The child's next stdout line, which must start with ``prefix``."""
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith(prefix):
            if self.proc.poll() is None:
                self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""  # before kill() closes it
            self.kill()
            raise AssertionError(f"child said {line!r}, expected {prefix!r}; stderr:\n{err}")
        return line[len(prefix) :].strip()

    def release(self) -> int:
        """Close the child's stdin (it unlocks and exits) and wait for it."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=20)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _child_main(argv: list[str]) -> int:
    mode, workspace = argv[0], argv[1]
    backend = backend_from_spec(json.loads(os.environ[SPEC_ENV]))
    if mode == "hold-lock":
        info = LockInfo(operation="contract-hold")
        backend.lock(info, workspace=workspace)
        print("locked", info.id, flush=True)
        sys.stdin.read()  # until the parent closes stdin (or kills us)
        backend.unlock(info.id, workspace)
        backend.close()
        print("released", flush=True)
        return 0
    if mode == "apply-and-hang":
        count = int(argv[2])
        session = StateManager(backend, workspace).session("contract-apply")
        session.__enter__()
        for i in range(count):
            session.put(
                ResourceState(address=f"component.c{i}", kind=Kind.COMPONENT, provider="local", id=f"id-{i}")
            )
        print("applied", session.serial, flush=True)
        sys.stdin.read()  # killed here: no checkpoint, no unlock
        return 0
    raise SystemExit(f"unknown mode {mode}")


# -- the checks ----------------------------------------------------------------------------------
def check_read_empty(target: BackendTarget) -> None:
    b = target.open()
    _check(b.read() is None, "read of a new backend must return None")
    _check(b.journal() == [], "the journal of a new backend must be empty")
    _check(b.lock_holder() is None, "a new backend must not be locked")
    _check(DEFAULT_WORKSPACE in b.workspaces(), '"default" must always be listed')


def check_write_read(target: BackendTarget) -> None:
    b = target.open()
    b.write(doc(1), serial=1, expected_serial=0)
    _check(b.read() == doc(1), "read must return the bytes written")
    b.write(doc(2, note="ü"), serial=2, expected_serial=1)
    _check(b.read() == doc(2, note="ü"), "read must return the last bytes written")
    other = target.open()
    _check(other.read() == doc(2, note="ü"), "another instance must read the same state")


def check_serial_conflict(target: BackendTarget) -> None:
    b = target.open()
    b.write(doc(1), serial=1, expected_serial=0)
    _expect_raises(
        SerialConflict,
        lambda: b.write(doc(6), serial=6, expected_serial=5),
        "a write expecting the wrong serial must raise SerialConflict",
    )
    _expect_raises(
        SerialConflict,
        lambda: b.write(doc(1, lineage="other"), serial=1, expected_serial=0),
        "a write expecting no state must fail when one exists",
    )
    _check(b.read() == doc(1), "a refused write must leave the state unchanged")
    b.journal()
    b.write(doc(7), serial=7, expected_serial=None)
    _check(b.read() == doc(7), "expected_serial=None writes unconditionally")


def check_journal(target: BackendTarget) -> None:
    b = target.open()
    b.write(doc(1), serial=1, expected_serial=0)
    b.append([b'{"n":1}', b'{"n":2}'])
    b.append([b'{"n":3,"s":"\xc3\xbc\\n"}'])
    expected = [b'{"n":1}', b'{"n":2}', b'{"n":3,"s":"\xc3\xbc\\n"}']
    _check(b.journal() == expected, "journal must return every entry appended, in order")
    _check(target.open().journal() == expected, "another instance must see the same journal")
    b.write(doc(2), serial=2, expected_serial=1)
    _check(b.journal() == expected, "a write without clear_journal must keep the journal")
    b.write(doc(3), serial=3, expected_serial=2, clear_journal=True)
    _check(b.journal() == [], "a write with clear_journal must empty the journal")
    b.append([b'{"n":4}'])
    _check(target.open().journal() == [b'{"n":4}'], "appends after a clear start a new journal")
    _expect_raises(
        SerialConflict,
        lambda: b.write(doc(9), serial=9, expected_serial=1, clear_journal=True),
        "a conflicting write must raise",
    )
    _check(b.journal() == [b'{"n":4}'], "a refused write must not clear the journal")


def check_lock_exclusive_across_processes(target: BackendTarget) -> None:
    child = Child(target, "hold-lock")
    try:
        lock_id = child.expect("locked")
        b = target.open()
        err = _expect_raises(
            LockError, lambda: b.lock(LockInfo(operation="t")), "a held lock must be refused"
        )
        assert isinstance(err, LockError)
        _check(
            err.holder is not None and err.holder.id == lock_id,
            "LockError.holder must name the holder's lock",
        )
        _check(err.holder is not None and err.holder.pid == child.proc.pid, "the holder's pid must be shown")
        holder = b.lock_holder()
        _check(holder is not None and holder.id == lock_id, "lock_holder must return the holder")
        start = time.monotonic()
        _expect_raises(LockError, lambda: b.lock(LockInfo(), timeout=0.3), "lock with a timeout must give up")
        _check(time.monotonic() - start >= 0.29, "lock(timeout) must retry until the timeout")
        _check(child.release() == 0, "the child must unlock cleanly")
        mine = LockInfo(operation="after")
        b.lock(mine)
        other = target.open()
        _expect_raises(
            LockError, lambda: other.lock(LockInfo()), "a second instance in one process is refused"
        )
        b.unlock(mine.id)
        other.lock(LockInfo())
    finally:
        child.kill()


def check_lock_timeout_waits(target: BackendTarget) -> None:
    child = Child(target, "hold-lock")
    try:
        child.expect("locked")
        b = target.open()
        assert child.proc.stdin is not None
        child.proc.stdin.close()  # the child unlocks now; lock() below must wait for it
        b.lock(LockInfo(operation="waiter"), timeout=15)
        holder = b.lock_holder()
        _check(holder is not None and holder.operation == "waiter", "the waiter must hold the lock")
    finally:
        child.kill()


def check_lock_freed_when_holder_killed(target: BackendTarget) -> None:
    child = Child(target, "hold-lock")
    try:
        child.expect("locked")
    finally:
        child.kill()
    b = target.open()
    b.lock(LockInfo(operation="after-kill"), timeout=10)  # no force-unlock needed
    holder = b.lock_holder()
    _check(holder is not None and holder.operation == "after-kill", "the new holder must be shown")


def check_force_unlock(target: BackendTarget) -> None:
    child = Child(target, "hold-lock")
    try:
        lock_id = child.expect("locked")
        b = target.open()
        _expect_raises(
            LockError, lambda: b.force_unlock("not-the-id"), "force_unlock with a wrong ID must fail"
        )
        b.force_unlock(lock_id)
        mine = LockInfo(operation="after-force")
        b.lock(mine, timeout=5)
        holder = target.open().lock_holder()
        _check(holder is not None and holder.id == mine.id, "after force-unlock the new holder is shown")
        b.unlock(mine.id)
    finally:
        child.kill()
    _expect_raises(
        LockError, lambda: target.open().force_unlock("x"), "force_unlock of a free state must fail"
    )


def check_workspaces_apart(target: BackendTarget) -> None:
    b = target.open()
    b.write(doc(1, lineage="d"), serial=1, expected_serial=0)
    b.write(doc(1, lineage="a"), serial=1, expected_serial=0, workspace="alpha")
    b.append([b'{"ws":"alpha"}'], workspace="alpha")
    _check(b.read() == doc(1, lineage="d"), "default must keep its own state")
    _check(b.read("alpha") == doc(1, lineage="a"), "alpha must keep its own state")
    _check(b.journal() == [] and b.journal("alpha") == [b'{"ws":"alpha"}'], "journals must be per workspace")
    _check(b.workspaces() == ["alpha", "default"], f"workspaces() must list both, got {b.workspaces()}")
    info = LockInfo()
    b.lock(info, workspace="alpha")
    other = target.open()
    other.lock(LockInfo())  # another workspace's lock does not block this one
    _expect_raises(LockError, lambda: other.lock(LockInfo(), workspace="alpha"), "alpha must be locked")
    b.unlock(info.id, workspace="alpha")
    b.delete_workspace("alpha")
    _check(b.read("alpha") is None and b.journal("alpha") == [], "a deleted workspace has no state")
    _check(b.workspaces() == ["default"], "a deleted workspace is not listed")


def check_journal_replayed_after_crash(target: BackendTarget) -> None:
    child = Child(target, "apply-and-hang", DEFAULT_WORKSPACE, "5")
    try:
        child.expect("applied")
    finally:
        child.kill()  # SIGKILL: no checkpoint, no unlock
    manager = StateManager(target.open())
    state = manager.load()
    _check(len(state.resources) == 5, f"every journaled put must survive a crash, got {len(state.resources)}")
    with manager.session("recover", lock_timeout=10) as s:
        _check(len(s.state.resources) == 5, "a new session must see the replayed state")
    after = StateManager(target.open()).load()
    _check(len(after.resources) == 5 and target.opened[-1].journal() == [], "the session end compacts")


CHECKS: dict[str, Callable[[BackendTarget], None]] = {
    "read_empty": check_read_empty,
    "write_read": check_write_read,
    "serial_conflict": check_serial_conflict,
    "journal": check_journal,
    "lock_exclusive_across_processes": check_lock_exclusive_across_processes,
    "lock_timeout_waits": check_lock_timeout_waits,
    "lock_freed_when_holder_killed": check_lock_freed_when_holder_killed,
    "force_unlock": check_force_unlock,
    "workspaces_apart": check_workspaces_apart,
    "journal_replayed_after_crash": check_journal_replayed_after_crash,
}


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
