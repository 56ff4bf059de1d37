"""The state manager: serial, lineage, journal and compaction, written once for every backend.

State after a crash = the last snapshot + every complete journal entry, so each recorded action
costs one small append (O(1)), never a rewrite of the whole state (Terraform's apply rewrites
the whole state after every resource and is quadratic because of it). The snapshot is rewritten
by ``checkpoint``: at the end of a session, and whenever the journal has grown as large as the
snapshot, which keeps the total cost linear.

Journal entries are compact JSON objects with an ``op``: put, remove, begin, end, promote, retire,
set_failure, move_template, rehash, set_outputs (see ``apply_entry``; set_current and drop_current are
read from journals an older imgb left).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from imgb.addresses import Address, AddressError
from imgb.records import DecodeError
from imgb.state.backend import DEFAULT_WORKSPACE, Backend, BackendError, LockInfo
from imgb.state.model import (
    STATE_VERSION,
    BuildFailure,
    Operation,
    OutputState,
    ResourceState,
    State,
    migrate,
)

# The journal is compacted once it is larger than the snapshot (and at least this big), so the
# bytes written for snapshots stay proportional to the bytes appended.
CHECKPOINT_MIN_BYTES = 256 * 1024


class PushRefused(Exception):
    """A whole-state write would replace a different or newer state; the message says why and how to force."""


def encode_state(state: State) -> bytes:
    """The documented snapshot format: pretty-printed JSON, sorted keys, trailing newline."""
    doc = state.normalized().model_dump(mode="json")
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _dumps(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _describe(backend: Backend, workspace: str) -> str:
    describe = getattr(backend, "describe", None)
    return str(describe(workspace)) if callable(describe) else f'workspace "{workspace}"'


def _recovery_hint(backend: Backend, workspace: str) -> str:
    hint = getattr(backend, "recovery_hint", None)
    if callable(hint):
        return str(hint(workspace))
    return "Restore the state from a backup (`imgb state push`), then run `imgb refresh`."


def parse_state(data: bytes | str) -> State:
    """A state document, migrated from an older format version (``model.migrate``).
    Raises DecodeError (pydantic's message for a document that is not a state)."""
    try:
        doc = json.loads(data)
    except ValueError:  # not JSON, or not UTF-8
        return State.model_validate_json(data)  # raises pydantic's message for it
    return State.model_validate(migrate(doc))


def decode_state(data: bytes, backend: Backend, workspace: str) -> State:
    try:
        state = parse_state(data)
    except DecodeError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'document'}: {err['msg']}" for err in e.errors()[:3]
        )
        raise BackendError(
            f"the state {_describe(backend, workspace)} cannot be read: {problems}. "
            f"{_recovery_hint(backend, workspace)}"
        ) from e
    except RecursionError as e:  # hostile nesting: a message, not a crash
        raise BackendError(
            f"the state {_describe(backend, workspace)} cannot be read: it nests too deeply to be an imgb state. "
            f"{_recovery_hint(backend, workspace)}"
        ) from e
    if state.version != STATE_VERSION:
        # A newer format may mean things this imgb would misread and then overwrite.
        raise BackendError(
            f"the state {_describe(backend, workspace)} has format version {state.version}; this imgb reads "
            f"version {STATE_VERSION}. Use the imgb version that wrote it (a newer one, if the number is higher)."
        )
    for r in state.resources:
        try:
            Address.parse(r.address)
        except AddressError as e:  # else the first command to read it would blame the user's input
            raise BackendError(
                f"the state {_describe(backend, workspace)} cannot be read: a resource has an invalid address: {e} "
                f"{_recovery_hint(backend, workspace)}"
            ) from e
    return state


class _Index:
    """The state plus a key -> position index, so a put is O(1) instead of a scan of the list."""

    def __init__(self, state: State):
        self.state = state
        self._pos = {r.key: i for i, r in enumerate(state.resources)}

    def reindex(self) -> None:
        self._pos = {r.key: i for i, r in enumerate(self.state.resources)}

    def get(self, address: str, image_hash: str | None) -> ResourceState | None:
        i = self._pos.get((address, image_hash))
        return None if i is None else self.state.resources[i]

    def put(self, r: ResourceState) -> None:
        # A recorded result ends the operation that made it: one journal entry, not two.
        if self.state.operations:
            self.end(r.address, r.image_hash)
        i = self._pos.get(r.key)
        if i is None:
            self._pos[r.key] = len(self.state.resources)
            self.state.resources.append(r)
        else:
            self.state.resources[i] = r

    def remove(self, address: str, image_hash: str | None) -> None:
        if (address, image_hash) in self._pos:
            self.state.remove(address, image_hash)
            self.reindex()

    def begin(self, op: Operation) -> None:
        ops = [o for o in self.state.operations if (o.address, o.image_hash) != (op.address, op.image_hash)]
        ops.append(op)
        self.state.operations = ops

    def end(self, address: str, image_hash: str | None) -> None:
        self.state.operations = [
            o for o in self.state.operations if (o.address, o.image_hash) != (address, image_hash)
        ]

    def apply_entry(self, entry: Mapping[str, Any]) -> None:
        op = entry.get("op")
        if op == "put":
            self.put(ResourceState.model_validate(entry["resource"]))
        elif op == "remove":
            self.remove(entry["address"], entry.get("image_hash"))
        elif op == "begin":
            self.begin(Operation.model_validate(entry["operation"]))
        elif op == "end":
            self.end(entry["address"], entry.get("image_hash"))
        elif op == "promote":
            self.state.promote(entry["template"], entry["hash"], entry["at"])
        elif op == "retire":
            self.state.retire(entry["template"], entry["at"])
        elif op == "set_failure":
            failure = entry.get("failure")
            if failure is None:
                self.state.failures.pop(entry["template"], None)
            else:
                self.state.failures[entry["template"]] = BuildFailure.model_validate(failure)
        elif op == "move_template":
            self.state.move_template(entry["src"], entry["dst"])
        elif op == "rehash":
            self.state.rehash(entry["template"], entry["old"], entry["new"])
        elif op == "set_current":  # an older imgb's journal: the period's start is unknown
            self.state.promote(entry["template"], entry["hash"], "")
        elif op == "drop_current":  # an older imgb's journal
            self.state.retire(entry["template"], "")
        elif op == "set_outputs":
            self.state.outputs = {k: OutputState.model_validate(v) for k, v in entry["outputs"].items()}
        else:
            raise ValueError(f"unknown journal operation {op!r} (written by a newer imgb?)")


def replay(state: State, entries: list[bytes], backend: Backend, workspace: str) -> State:
    """Apply journal entries to ``state`` in place and return it."""
    index = _Index(state)
    for n, raw in enumerate(entries, 1):
        try:
            index.apply_entry(json.loads(raw))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise BackendError(
                f"journal entry {n} of {_describe(backend, workspace)} cannot be applied: {e}. "
                f"{_recovery_hint(backend, workspace)}"
            ) from e
    return state


class StateManager:
    """Reads and writes the state of one workspace of a backend."""

    def __init__(self, backend: Backend, workspace: str = DEFAULT_WORKSPACE, *, lock: bool = True, lock_timeout: float = 0.0):
        self.backend = backend
        self.workspace = workspace
        self.lock = lock
        """False: sessions take no lock (Terraform's -lock=false; the caller knows nobody else writes)."""
        self.lock_timeout = lock_timeout
        """How long a session waits for the lock when it is not told."""

    def describe(self) -> str:
        return _describe(self.backend, self.workspace)

    def load(self) -> State:
        """The current state: the last snapshot plus the journal (an empty state when none exists).

        Without the lock, a writer may compact between reading the snapshot and the journal; the
        snapshot is read again afterwards and the pair retried if it moved, so the journal is never
        replayed onto the wrong snapshot."""
        for _ in range(10):
            data = self.backend.read(self.workspace)
            entries = self.backend.journal(self.workspace)
            if self.backend.read(self.workspace) == data:
                break
        state = decode_state(data, self.backend, self.workspace) if data is not None else State()
        return replay(state, entries, self.backend, self.workspace)

    def exists(self) -> bool:
        return self.backend.read(self.workspace) is not None or bool(self.backend.journal(self.workspace))

    def session(self, operation: str, lock_timeout: float | None = None, *, reader: bool = False) -> StateSession:
        """A locked session for ``operation``; use it as a context manager. A ``reader`` session
        (a plan) leaves a journal it found to the next writer: compacting it would move the serial
        that the plan records."""
        timeout = self.lock_timeout if lock_timeout is None else lock_timeout
        return StateSession(self, operation, timeout, reader=reader, lock=self.lock)

    def write(self, state: State, *, lock_timeout: float | None = None) -> State:
        with self.session("write", lock_timeout) as s:
            s.write(state)
            return s.state

    def push(self, state: State, *, force: bool = False, lock_timeout: float | None = None) -> State:
        with self.session("push", lock_timeout) as s:
            s.push(state, force=force)
            return s.state

    def lock_holder(self) -> LockInfo | None:
        return self.backend.lock_holder(self.workspace)

    def force_unlock(self, lock_id: str) -> None:
        self.backend.force_unlock(lock_id, self.workspace)


class StateSession:
    """The state of one workspace, locked, with durable mutations.

    ``state`` is always current in memory. Every mutation is in the journal before it returns.
    Mutations may come from several threads: the in-memory change and the journal order are
    decided together under one mutex, and entries that arrive while a flush is in progress go
    out together in the next one (one fsync for the batch).
    """

    def __init__(self, manager: StateManager, operation: str, lock_timeout: float, *, reader: bool = False, lock: bool = True):
        self._manager = manager
        self._reader = reader
        self._locking = lock
        self._backend = manager.backend
        self._workspace = manager.workspace
        self._operation = operation
        self._lock_timeout = lock_timeout
        self._lock: LockInfo | None = None
        self._cv = threading.Condition()
        self._index = _Index(State())
        self._serial = 0
        self._exists = False
        self._pending: list[bytes] = []
        self._seq = 0
        self._durable = 0
        self._flushing = False
        self._broken: BaseException | None = None
        self._journal_bytes = 0
        self._inherited_journal_bytes = 0
        self._snapshot_bytes = 0
        self.checkpoints = 0
        self.appends = 0

    # -- context -------------------------------------------------------------------------------
    def __enter__(self) -> StateSession:
        if self._locking:
            info = LockInfo(operation=self._operation)
            self._backend.lock(info, timeout=self._lock_timeout, workspace=self._workspace)
            self._lock = info
        try:
            self._reload()
        except BaseException:
            self._unlock()
            raise
        return self

    def _reload(self) -> None:
        data = self._backend.read(self._workspace)
        entries = self._backend.journal(self._workspace)
        state = decode_state(data, self._backend, self._workspace) if data is not None else State()
        replay(state, entries, self._backend, self._workspace)
        self._index = _Index(state)
        self._serial = state.serial
        self._exists = data is not None
        self._snapshot_bytes = len(data) if data else 0
        self._journal_bytes = sum(len(e) for e in entries)
        # A journal left by a killed session is compacted at the end of the next session, unless
        # that one only reads (see StateManager.session).
        self._inherited_journal_bytes = self._journal_bytes if self._reader else 0

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                if self._dirty():
                    self.checkpoint()
            elif self._broken is not None:
                # Changes whose journal append failed are only in memory; one more try to save them
                # without hiding the error that ended the session.
                with contextlib.suppress(Exception):
                    self.checkpoint()
        finally:
            self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            lock, self._lock = self._lock, None
            self._backend.unlock(lock.id, self._workspace)

    @property
    def lock_info(self) -> LockInfo | None:
        return self._lock

    @property
    def state(self) -> State:
        return self._index.state

    @property
    def serial(self) -> int:
        """The serial of the last snapshot written or read."""
        return self._serial

    def get(self, address: str, image_hash: str | None = None) -> ResourceState | None:
        """Like ``state.get`` but O(1): the session keeps an index."""
        with self._cv:
            return self._index.get(address, image_hash)

    def _dirty(self) -> bool:
        with self._cv:
            return bool(self._pending) or self._journal_bytes > self._inherited_journal_bytes or self._broken is not None

    # -- mutations -----------------------------------------------------------------------------
    def put(self, resource: ResourceState, *, wait: bool = True) -> None:
        """Record ``resource``; with ``wait=False`` return before it is durable (call ``sync``)."""
        self._record(
            {"op": "put", "resource": resource.model_dump(mode="json")}, lambda: self._index.put(resource), wait
        )

    def remove(self, address: str, image_hash: str | None = None) -> None:
        self._record(
            {"op": "remove", "address": address, "image_hash": image_hash},
            lambda: self._index.remove(address, image_hash),
        )

    def begin_operation(self, op: Operation) -> None:
        self._record({"op": "begin", "operation": op.model_dump(mode="json")}, lambda: self._index.begin(op))

    def end_operation(self, address: str, image_hash: str | None = None) -> None:
        self._record(
            {"op": "end", "address": address, "image_hash": image_hash},
            lambda: self._index.end(address, image_hash),
        )

    def promote(self, template: str, image_hash: str, at: str) -> None:
        """Put a generation of ``template`` in service (``State.promote``): ``current`` and the
        in-service history move in one journal entry."""
        self._record(
            {"op": "promote", "template": template, "hash": image_hash, "at": at},
            lambda: self.state.promote(template, image_hash, at),
        )

    def retire(self, template: str, at: str) -> None:
        """Nothing of ``template`` is in service any more (``State.retire``)."""
        self._record({"op": "retire", "template": template, "at": at}, lambda: self.state.retire(template, at))

    def set_failure(self, template: str, failure: BuildFailure | None) -> None:
        """Record the last failed build of ``template`` (None: forget it)."""

        def mutate() -> None:
            if failure is None:
                self.state.failures.pop(template, None)
            else:
                self.state.failures[template] = failure

        self._record(
            {"op": "set_failure", "template": template, "failure": failure.model_dump(mode="json") if failure else None},
            mutate,
        )

    def move_template(self, src: str, dst: str) -> None:
        self._record({"op": "move_template", "src": src, "dst": dst}, lambda: self.state.move_template(src, dst))

    def rehash(self, template: str, old: str, new: str) -> None:
        self._record(
            {"op": "rehash", "template": template, "old": old, "new": new}, lambda: self.state.rehash(template, old, new)
        )

    def set_outputs(self, outputs: Mapping[str, OutputState | Any]) -> None:
        converted = {
            k: v if isinstance(v, OutputState) else OutputState(value=v) for k, v in sorted(outputs.items())
        }

        def mutate() -> None:
            self.state.outputs = dict(converted)

        self._record(
            {"op": "set_outputs", "outputs": {k: v.model_dump(mode="json") for k, v in converted.items()}},
            mutate,
        )

    def _check_open(self) -> None:
        if self._lock is None:
            raise BackendError(
                "the state session is not open (use it as `with manager.session(...)`); this is a bug in imgb"
            )

    def _record(self, entry: Mapping[str, Any], mutate: Callable[[], None], wait: bool = True) -> None:
        data = _dumps(entry)
        with self._cv:
            self._check_open()
            mutate()
            self._seq += 1
            mine = self._seq
            self._pending.append(data)
        if wait:
            self._wait_durable(mine, 0.0)

    def sync(self, grace: float = 0.0) -> None:
        """Return once every mutation recorded so far is durable. ``grace``: how long to leave the
        flush to another writer first, so that its entries and these share one append (one fsync)."""
        with self._cv:
            mine = self._seq
        self._wait_durable(mine, grace)

    def _wait_durable(self, mine: int, grace: float) -> None:
        deadline = time.monotonic() + grace
        with self._cv:
            while True:
                if self._durable >= mine:
                    return
                if self._broken is not None:
                    raise BackendError(
                        f"an earlier write to the journal of {self._manager.describe()} failed ({self._broken}); "
                        "the change is kept in memory and is saved by the next successful checkpoint."
                    ) from self._broken
                if not self._flushing:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cv.wait(left)  # another writer may start the flush that covers this entry
                    continue
                self._cv.wait()
            # This thread flushes everything pending, its own entry included.
            self._flushing = True
            batch, upto = self._pending, self._seq
            self._pending = []
            first_write = not self._exists
        if first_write:
            # A new state gets its snapshot (and so its lineage) before its first journal entry.
            with self._cv:
                self._pending = batch + self._pending
            self._checkpoint_as_flusher()
            return
        try:
            self._backend.append(batch, self._workspace)
        except BaseException as e:
            with self._cv:
                self._broken = e
                self._flushing = False
                self._cv.notify_all()
            raise
        with self._cv:
            self._durable = max(self._durable, upto)
            self._journal_bytes += sum(len(b) for b in batch)
            self.appends += 1
            compact = self._journal_bytes > max(CHECKPOINT_MIN_BYTES, self._snapshot_bytes)
            if not compact:
                self._flushing = False
                self._cv.notify_all()
                return
        self._checkpoint_as_flusher()

    # -- snapshots -----------------------------------------------------------------------------
    def checkpoint(self) -> None:
        """Write the whole state as a new snapshot (serial + 1) and empty the journal, in one step."""
        with self._cv:
            self._check_open()
            while self._flushing:
                self._cv.wait()
            self._flushing = True
        self._checkpoint_as_flusher()

    def _checkpoint_as_flusher(self, next_serial: int | None = None) -> None:
        """Checkpoint while this thread holds the flushing role; always gives the role back."""
        try:
            with self._cv:
                serial = next_serial if next_serial is not None else self._serial + 1
                data = encode_state(self.state.model_copy(update={"serial": serial}))
                covered, upto = len(self._pending), self._seq
            self._backend.write(
                data,
                serial=serial,
                expected_serial=self._serial,
                workspace=self._workspace,
                clear_journal=True,
            )
        except BaseException:
            with self._cv:
                self._flushing = False
                self._cv.notify_all()
            raise
        with self._cv:
            self._serial = serial
            self.state.serial = serial
            self._exists = True
            self._pending = self._pending[covered:]
            self._durable = max(self._durable, upto)
            self._journal_bytes = 0
            self._inherited_journal_bytes = 0
            self._snapshot_bytes = len(data)
            self._broken = None
            self.checkpoints += 1
            self._flushing = False
            self._cv.notify_all()

    def _replace(self, state: State, next_serial: int | None = None) -> None:
        with self._cv:
            self._check_open()
            while self._flushing:
                self._cv.wait()
            self._flushing = True
            self._index = _Index(state)
        self._checkpoint_as_flusher(next_serial)

    def write(self, state: State) -> None:
        """Replace the whole state (state rm/mv, import); the lineage stays the one fixed at creation."""
        keep = self.state.lineage if self._exists else state.lineage
        self._replace(state.model_copy(deep=True, update={"lineage": keep}))

    def push(self, state: State, *, force: bool = False) -> None:
        """Replace the state with an uploaded one, refusing another lineage or an older serial unless forced."""
        if state.version != STATE_VERSION:  # not even forced: this imgb would write it in another version
            raise PushRefused(
                f"the pushed state has format version {state.version}; this imgb reads and writes version "
                f"{STATE_VERSION}. Push it with the imgb version that wrote it."
            )
        current = self.state
        if self._exists and not force:
            where = self._manager.describe()
            if state.lineage != current.lineage:
                raise PushRefused(
                    f"the pushed state has lineage {state.lineage}, but {where} has lineage {current.lineage}: "
                    "they are different states. Check that you are pushing to the right workspace, or force "
                    "the push to replace it."
                )
            if state.serial < current.serial:
                raise PushRefused(
                    f"the pushed state has serial {state.serial}, older than serial {current.serial} of "
                    f"{where}. Pull the current state and apply your change to it, or force the push."
                )
            if state.serial == current.serial and encode_state(state) != encode_state(current):
                raise PushRefused(
                    f"the pushed state has the same serial ({state.serial}) as {where} but different "
                    "content. Pull the current state and apply your change to it, or force the push."
                )
        # The pushed serial is kept when it is ahead, so the serial never goes back.
        self._replace(state.model_copy(deep=True), next_serial=max(self._serial + 1, state.serial))
