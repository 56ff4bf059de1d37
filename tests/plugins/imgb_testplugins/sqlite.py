"""``sqlite``: a state backend in one SQLite database (``path``), keeping the backend contract
(state/backend.py): atomic snapshots with compare-and-swap on the serial, a durable ordered
journal, one lock per workspace (a row naming its holder; the lock of a holder whose process
died on this host is free again), separate workspaces."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imgb.plugins import Setting
from imgb.state.backend import DEFAULT_WORKSPACE, BackendType, LockError, LockInfo, SerialConflict, pid_alive

_TABLES = """
CREATE TABLE IF NOT EXISTS snapshots (workspace TEXT PRIMARY KEY, serial INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS journal (workspace TEXT NOT NULL, seq INTEGER NOT NULL, entry BLOB NOT NULL,
                                    PRIMARY KEY (workspace, seq));
CREATE TABLE IF NOT EXISTS locks (workspace TEXT PRIMARY KEY, info TEXT NOT NULL);
"""


class SqliteBackend:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._mutex = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA synchronous=FULL")
        with self._mutex:
            self._db.executescript(_TABLES)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), committed or rolled back."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- snapshots and journal -----------------------------------------------------------------
    def read(self, workspace: str = DEFAULT_WORKSPACE) -> bytes | None:
        with self._mutex:
            row = self._db.execute("SELECT data FROM snapshots WHERE workspace = ?", (workspace,)).fetchone()
        return None if row is None else bytes(row[0])

    def write(self, data: bytes, *, serial: int, expected_serial: int | None, workspace: str = DEFAULT_WORKSPACE,
              clear_journal: bool = False) -> None:
        with self._tx() as db:
            row = db.execute("SELECT serial FROM snapshots WHERE workspace = ?", (workspace,)).fetchone()
            stored = 0 if row is None else int(row[0])
            if expected_serial is not None and stored != expected_serial:
                raise SerialConflict(f"the stored serial is {stored}, not {expected_serial}")
            db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", (workspace, serial, data))
            if clear_journal:
                db.execute("DELETE FROM journal WHERE workspace = ?", (workspace,))

    def append(self, entries: list[bytes], workspace: str = DEFAULT_WORKSPACE) -> None:
        with self._tx() as db:
            (last,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal WHERE workspace = ?", (workspace,)).fetchone()
            db.executemany("INSERT INTO journal VALUES (?, ?, ?)",
                           [(workspace, last + i + 1, e) for i, e in enumerate(entries)])

    def journal(self, workspace: str = DEFAULT_WORKSPACE) -> list[bytes]:
        with self._mutex:
            rows = self._db.execute("SELECT entry FROM journal WHERE workspace = ? ORDER BY seq", (workspace,)).fetchall()
        return [bytes(r[0]) for r in rows]

    # -- locks --------------------------------------------------------------------------------
    def lock(self, info: LockInfo, *, timeout: float = 0.0, workspace: str = DEFAULT_WORKSPACE) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._tx() as db:
                holder = self._holder(db, workspace)
                if holder is None or not _alive(holder):
                    db.execute("INSERT OR REPLACE INTO locks VALUES (?, ?)", (workspace, json.dumps(info.to_json())))
                    return
            if time.monotonic() >= deadline:
                raise LockError(holder, f"the state is locked by {holder.who} (pid {holder.pid}, {holder.operation})")
            time.sleep(0.05)

    def unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None:
        with self._tx() as db:
            holder = self._holder(db, workspace)
            if holder is None or holder.id != lock_id:
                raise LockError(holder, f"lock {lock_id} is not held")
            db.execute("DELETE FROM locks WHERE workspace = ?", (workspace,))

    def lock_holder(self, workspace: str = DEFAULT_WORKSPACE) -> LockInfo | None:
        with self._mutex:
            return self._holder(self._db, workspace)

    def force_unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None:
        with self._tx() as db:
            holder = self._holder(db, workspace)
            if holder is None:
                raise LockError(None, "the state is not locked")
            if holder.id != lock_id:
                raise LockError(holder, f"the lock ID is {holder.id}, not {lock_id}")
            db.execute("DELETE FROM locks WHERE workspace = ?", (workspace,))

    @staticmethod
    def _holder(db: sqlite3.Connection, workspace: str) -> LockInfo | None:
        row = db.execute("SELECT info FROM locks WHERE workspace = ?", (workspace,)).fetchone()
        return None if row is None else LockInfo(**json.loads(row[0]))

    # -- workspaces ---------------------------------------------------------------------------
    def workspaces(self) -> list[str]:
        with self._mutex:
            rows = self._db.execute("SELECT workspace FROM snapshots UNION SELECT workspace FROM journal").fetchall()
        return sorted({DEFAULT_WORKSPACE, *(r[0] for r in rows)})

    def delete_workspace(self, workspace: str) -> None:
        with self._tx() as db:
            for table in ("snapshots", "journal", "locks"):
                db.execute(f"DELETE FROM {table} WHERE workspace = ?", (workspace,))  # noqa: S608 - fixed names

    def close(self) -> None:
        with self._mutex:
            self._db.close()


def _alive(holder: LockInfo) -> bool:
    """A holder on another host is taken to be alive: only its host can tell."""
    return holder.host != socket.gethostname() or pid_alive(holder.pid)


def open_sqlite(settings: Mapping[str, Any], directory: Path) -> SqliteBackend:
    path = Path(str(settings["path"]))
    return SqliteBackend(path if path.is_absolute() else directory / path)


BACKEND = BackendType(
    block={"path": Setting("string", default="imgb.state.db", doc="the database, relative to the configuration")},
    opener="imgb_testplugins.sqlite:open_sqlite",
)
