"""The Backend protocol: dumb, durable storage of one state per workspace, with a lock.

Backends store bytes; ``state.manager`` does the bookkeeping (serial, lineage, journal replay,
compaction) once for every backend, as Terraform's remote.State does for its clients.

Contract (``state.contract`` tests it against every backend):

* ``read`` returns the last snapshot written, or None when the workspace has none.
* ``write`` replaces the snapshot atomically. When ``expected_serial`` is given and the stored
  snapshot's serial differs, it raises ``SerialConflict`` and writes nothing (a lost update is
  impossible even without the lock).
* ``append`` adds journal entries durably, in order; ``journal`` returns them all; ``write``
  with ``clear_journal=True`` empties the journal in the same atomic step.
* ``lock`` takes an exclusive lock for the workspace or raises ``LockError`` carrying the
  holder's ``LockInfo``. A lock whose holder process died is free again (pg: session advisory
  lock; local: a stale lock of a dead pid on this host). ``force_unlock`` removes any lock.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from imgb.plugins import Setting
from imgb.state.stamps import utc_iso, uuid4


def hostname() -> str:
    """This host's name, as ``socket.gethostname()`` gives it (uname's node name), without
    importing socket (~3 ms of a plan, which takes a lock)."""
    return os.uname().nodename


@dataclass(frozen=True)
class LockInfo:
    """Who holds a state lock, for messages and ``imgb force-unlock``."""

    id: str = field(default_factory=uuid4)
    operation: str = ""
    who: str = field(default_factory=lambda: f"{_user()}@{hostname()}")
    host: str = field(default_factory=hostname)
    pid: int = field(default_factory=os.getpid)
    created: str = field(default_factory=lambda: utc_iso(milliseconds=False))

    def to_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}  # flat: asdict's deep copy not needed


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (someone else's process counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _user() -> str:
    """``getpass.getuser()``, without getpass (and the termios it imports)."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(name)
        if user:
            return user
    import pwd

    try:
        return pwd.getpwuid(os.getuid())[0]
    except KeyError:  # no passwd entry in some containers
        return str(os.getuid())


class LockError(Exception):
    """The state is locked by someone else; ``holder`` says who."""

    def __init__(self, holder: LockInfo | None, message: str = "the state is locked"):
        super().__init__(message)
        self.holder = holder


class SerialConflict(Exception):
    """The stored state moved on since it was read (expected serial differs)."""


class BackendError(Exception):
    """Storage failed (disk full, connection lost, corrupt data); the message says how to recover."""


DEFAULT_WORKSPACE = "default"


class Backend(Protocol):
    def read(self, workspace: str = DEFAULT_WORKSPACE) -> bytes | None: ...

    def write(
        self,
        data: bytes,
        *,
        serial: int,
        expected_serial: int | None,
        workspace: str = DEFAULT_WORKSPACE,
        clear_journal: bool = False,
    ) -> None: ...

    def append(self, entries: list[bytes], workspace: str = DEFAULT_WORKSPACE) -> None: ...

    def journal(self, workspace: str = DEFAULT_WORKSPACE) -> list[bytes]: ...

    def lock(self, info: LockInfo, *, timeout: float = 0.0, workspace: str = DEFAULT_WORKSPACE) -> None: ...

    def unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None: ...

    def lock_holder(self, workspace: str = DEFAULT_WORKSPACE) -> LockInfo | None: ...

    def force_unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None: ...

    def workspaces(self) -> list[str]: ...

    def delete_workspace(self, workspace: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class BackendType:
    """What an ``imgb.backends`` entry point names (``imgb/plugins.py``): the backend block's
    attributes, and how to open it. ``opener`` ("module:callable", called with the block's settings,
    defaults applied, and the configuration directory) is imported only when a configuration uses
    the backend."""

    block: Mapping[str, Setting]
    opener: str

    def open(self, settings: Mapping[str, Any], directory: Path) -> Backend:
        module, _, name = self.opener.partition(":")
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        backend: Backend = obj(settings, directory)
        return backend

