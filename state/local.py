"""The local backend: the state as a JSON file next to the configuration, like terraform.tfstate.

Files for a state at ``<path>`` (workspace ``default``; others live at
``<dir>/imgb.state.d/<name>/<basename>``, like terraform.tfstate.d):

* ``<path>``: the snapshot, replaced atomically (temp file in the same directory, fsync, rename,
  fsync of the directory); mode 0600.
* ``<path>.backup``: the snapshot before the last write.
* ``<path>.journal``: changes since the snapshot. The first line is a header naming the
  snapshot serials the journal applies to; every other line is ``{"entry": ..., "sha256": ...}``
  with a checksum, appended and fsynced. A bad last line is a write torn by a crash and is
  dropped; a bad line before the last is corruption and an error.
* ``<path>.lock``: an ``fcntl.flock`` held by the locking process (freed by the kernel when the
  process dies) plus the holder's LockInfo as JSON, for display.

Snapshot and journal cannot be replaced in one filesystem operation, so the header ties the
journal to the snapshot it extends: after a crash between writing a new snapshot and removing
the old journal, the header names the old serial and the journal is ignored.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from imgb import digests
from imgb.fsops import ALLOW_PATHS_ENV, read_fd
from imgb.state.backend import (
    DEFAULT_WORKSPACE,
    BackendError,
    LockError,
    LockInfo,
    SerialConflict,
    hostname,
    pid_alive,
)
from imgb.state.names import check_workspace_name

WORKSPACES_DIR = "imgb.state.d"
_JOURNAL_FORMAT = 1


def _checksum(entry: bytes) -> str:
    return digests.sha256_hex(entry)[:16]


def encode_journal_line(entry: bytes) -> bytes:
    """One journal line for ``entry`` (UTF-8 text, normally compact JSON), newline-terminated."""
    try:
        text = entry.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BackendError(
            "a journal entry is not UTF-8 text; this is a bug in imgb, please report it"
        ) from e
    line = json.dumps({"entry": text, "sha256": _checksum(entry)}, ensure_ascii=False, separators=(",", ":"))
    return line.encode("utf-8") + b"\n"


def _decode_journal_line(line: bytes) -> bytes | None:
    """The entry of a journal line, or None when the line is damaged."""
    try:
        obj = json.loads(line)
        entry = obj["entry"].encode("utf-8")
        if obj["sha256"] == _checksum(entry):
            return entry
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        pass
    return None


@dataclass
class _Journal:
    """What reading a journal file found."""

    serials: list[int]
    entries: list[bytes]
    good_size: int
    """Bytes up to the end of the last good line: where a torn tail is cut off."""
    size: int


@dataclass
class _HeldLock:
    """A lock this process holds: its file and what it says."""

    fd: int
    info: LockInfo


@dataclass
class _Appender:
    """The journal file kept open for appends, and what it was when opened."""

    fd: int
    ino: int
    size: int


def _make_private_dirs(path: Path) -> None:
    """``mkdir -p`` with owner-only new directories whatever the umask (a workspace's directory
    holds its state: under a umask of 0 anyone could replace the files in it)."""
    missing = []
    while not os.path.lexists(path) and path != path.parent:
        missing.append(path)
        path = path.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)


def _fsync_dir(dirfd: int) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories; the rename is done
        os.fsync(dirfd)


_SERIAL_LINE = re.compile(rb'\n  "serial": (0|[1-9][0-9]*),?(?=\n)')


def _snapshot_serial(data: bytes) -> int | None:
    """The serial of a snapshot in imgb's own layout (indented by two, sorted keys) without decoding
    the whole document (a third of a no-change plan's state load): a line '  "serial": N' can only
    be the top-level key, as strings hold no raw newlines. None for any other layout."""
    if not data.startswith(b"{\n"):
        return None
    found = _SERIAL_LINE.findall(data)
    return int(found[0]) if len(found) == 1 else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _describe_oserror(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "the disk is full (ENOSPC)"
    if e.errno == errno.EDQUOT:
        return "the disk quota is exceeded (EDQUOT)"
    if e.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied ({e.strerror})"
    if e.errno == errno.EROFS:
        return "the filesystem is read-only"
    return e.strerror or str(e)


class LocalBackend:
    """State in local files; see the module docstring for the layout."""

    def __init__(self, path: Path | str, *, confine: Path | str | None = None):
        self.path = Path(path)
        # The configuration directory, when the state lives in it: no file of the state may be,
        # or lie below, a symbolic link that leads out of it (a committed imgb.state.json.lock ->
        # some file must not be truncated; imgb.state.json -> another project's state not read).
        self.confine = Path(confine) if confine is not None else None
        self._mutex = threading.RLock()
        self._locks: dict[str, _HeldLock] = {}
        self._appenders: dict[str, _Appender] = {}

    # -- paths -------------------------------------------------------------------------------
    def state_path(self, workspace: str = DEFAULT_WORKSPACE) -> Path:
        if workspace == DEFAULT_WORKSPACE:
            p = self.path
        else:
            check_workspace_name(workspace)
            p = self.path.parent / WORKSPACES_DIR / workspace / self.path.name
        self._guard(p)
        return p

    def _guard(self, p: Path) -> None:
        """Refuse a state whose directory leads out of the configuration directory."""
        if self.confine is None:
            return
        top = os.path.realpath(self.confine)
        d = p.parent
        while not os.path.lexists(d) and d != d.parent:
            d = d.parent  # not made yet: the part that exists decides
        real = os.path.realpath(d)
        if real != top and not real.startswith(top.rstrip("/") + "/"):
            raise BackendError(
                f"the state {p} is in {real}, outside the configuration directory {self.confine} (a symbolic "
                "link?). imgb refuses to use it: a configuration must not choose another project's state. "
                f"Remove the link, or allow the directory with {ALLOW_PATHS_ENV}.")

    def _sibling(self, workspace: str, suffix: str) -> Path:
        p = self.state_path(workspace)
        return p.with_name(p.name + suffix)

    def describe(self, workspace: str = DEFAULT_WORKSPACE) -> str:
        return str(self.state_path(workspace))

    def recovery_hint(self, workspace: str = DEFAULT_WORKSPACE) -> str:
        return self._recovery_hint(self.state_path(workspace))

    @staticmethod
    def _recovery_hint(p: Path) -> str:
        backup = p.with_name(p.name + ".backup")
        if backup.exists():
            return (
                f"{backup} is a second copy of the last snapshot: keep the damaged file aside and copy the "
                f"backup over it (cp {backup} {p}). The journal applies to it as it did to the snapshot, so "
                "nothing recorded is lost."
            )
        return (
            f"There is no backup ({backup} is missing). Keep the damaged file aside; if you have a good copy "
            "(the output of an earlier `imgb state pull`), restore it with `imgb state push FILE`, otherwise "
            "record the objects again with `imgb import ADDRESS ID`. The objects themselves are unchanged "
            "(docs/state.md)."
        )

    # -- snapshot ------------------------------------------------------------------------------
    def read(self, workspace: str = DEFAULT_WORKSPACE) -> bytes | None:
        p = self.state_path(workspace)
        try:
            data = _read_nofollow(p)
            self._check_against_backup(p, data)
            return data
        except FileNotFoundError:
            if p.with_name(p.name + ".backup").exists():
                # Only damage removes a snapshot and leaves its backup: starting from an empty state
                # would make everything again, untracking what exists.
                raise BackendError(
                    f"the state file {p} is missing but its backup is not. {self.recovery_hint(workspace)} "
                    "To start afresh on purpose, delete the backup too."
                ) from None
            return None
        except OSError as e:
            raise BackendError(f"cannot read the state file {p}: {_describe_oserror(e)}.") from e

    def _check_against_backup(self, p: Path, data: bytes) -> None:
        """The backup is written first, with the same bytes: a snapshot that differs from a backup
        of its own serial was changed after imgb wrote it (a backup of a later serial is a write
        in progress, or one a crash interrupted; an earlier one was written by an older imgb)."""
        backup = p.with_name(p.name + ".backup")
        try:
            copy = _read_nofollow(backup)
        except OSError:
            return  # none (the next write makes one) or unreadable: nothing to compare with
        if copy == data:
            return
        serial = _snapshot_serial(data)
        if serial is None or serial != _snapshot_serial(copy):
            return  # a snapshot too damaged to show its serial fails to load with its own message
        raise BackendError(
            f"the state file {p} and its backup {backup} both hold serial {serial} but differ: one was "
            "changed after imgb wrote it (damaged, or edited by hand). Unless you edited the state file on "
            f"purpose, keep it aside and copy the backup over it (cp {backup} {p}). To keep an edit, move "
            f"the edited file aside, copy the backup over it, then `imgb state push --force EDITED_FILE`."
        )

    def _stored_serial(self, p: Path) -> int:
        """The serial of the snapshot at ``p``; 0 when there is none (the contract's "absent")."""
        try:
            data = _read_nofollow(p)
        except FileNotFoundError:
            return 0
        except OSError as e:
            raise BackendError(f"cannot read the state file {p}: {_describe_oserror(e)}.") from e
        quick = _snapshot_serial(data)
        if quick is not None:
            return quick
        try:
            serial = json.loads(data)["serial"]
            if not isinstance(serial, int):
                raise TypeError("serial is not an integer")
            return serial
        except (ValueError, KeyError, TypeError, RecursionError) as e:
            why = "it nests too deeply" if isinstance(e, RecursionError) else str(e)
            raise BackendError(
                f"the state file {p} is not a valid imgb state ({why}). {self._recovery_hint(p)}"
            ) from e

    def write(
        self,
        data: bytes,
        *,
        serial: int,
        expected_serial: int | None,
        workspace: str = DEFAULT_WORKSPACE,
        clear_journal: bool = False,
    ) -> None:
        p = self.state_path(workspace)
        try:
            _make_private_dirs(p.parent)
            dirfd = os.open(p.parent, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise BackendError(f"cannot create the directory {p.parent}: {_describe_oserror(e)}.") from e
        with self._mutex:
            try:
                # A short flock on the directory makes compare-and-swap atomic between writers
                # even when they do not hold the state lock.
                fcntl.flock(dirfd, fcntl.LOCK_EX)
                current = self._stored_serial(p)
                if expected_serial is not None and current != expected_serial:
                    raise SerialConflict(
                        f"the state {p} is at serial {current}, not {expected_serial} as expected: another "
                        "process wrote it since it was read. Run the command again."
                    )
                self._replace_snapshot(p, dirfd, data, current, serial, workspace, clear_journal)
            finally:
                os.close(dirfd)

    def _replace_snapshot(
        self, p: Path, dirfd: int, data: bytes, current: int, serial: int, workspace: str, clear_journal: bool
    ) -> None:
        journal = self._sibling(workspace, ".journal")
        tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        backup = p.with_name(p.name + ".backup")
        backup_tmp = p.with_name(f".{p.name}.backup.tmp-{os.getpid()}-{threading.get_ident()}")
        step = "writing the new snapshot"
        try:
            self._write_file(tmp, data)
            if not clear_journal and journal.exists():
                # The kept journal must apply to the new snapshot as well as to the old one
                # until the rename below is done, whichever of the two a crash leaves.
                step = "rewriting the journal header"
                parsed = self._read_journal(journal, current)
                if current in parsed.serials:
                    self._write_journal(journal, [current, serial], parsed.entries)
            # The backup is a second copy of the new snapshot, not the previous one: restoring it
            # with the journal that follows it loses nothing (the previous snapshot would forget
            # the last apply, and what it made would be made again).
            step = "writing the backup copy"
            with contextlib.suppress(FileNotFoundError):
                backup_tmp.unlink()
            self._write_file(backup_tmp, data)
            os.replace(backup_tmp, backup)
            step = "replacing the snapshot"
            os.replace(tmp, p)
            _fsync_dir(dirfd)
        except OSError as e:
            for leftover in (tmp, backup_tmp):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise BackendError(
                f"could not write the state {p} ({step}): {_describe_oserror(e)}. The state (serial {current}) "
                "and its journal are intact. Free some space or fix the permissions and run the command again."
            ) from e
        if clear_journal:
            self._drop_appender(workspace)
            try:
                journal.unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                # The header still names the old serial, so the stale journal is ignored on load.
                raise BackendError(
                    f"the state {p} was written (serial {serial}) but its old journal {journal} could "
                    f"not be removed: {_describe_oserror(e)}. It is ignored when loading; remove it by hand."
                ) from e
            _fsync_dir(dirfd)

    def _write_file(self, path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- journal -------------------------------------------------------------------------------
    def _read_journal(self, journal: Path, snapshot_serial: int) -> _Journal:
        try:
            raw = _read_nofollow(journal)
        except FileNotFoundError:
            return _Journal([snapshot_serial], [], 0, 0)
        except OSError as e:
            raise BackendError(f"cannot read the journal {journal}: {_describe_oserror(e)}.") from e
        lines = raw.split(b"\n")
        # split leaves "" after a final newline; anything else there is an unterminated (torn) line
        tail = lines.pop()
        try:
            header = json.loads(lines[0]) if lines else None
            serials = [int(s) for s in header["serials"]] if isinstance(header, dict) else None
        except (ValueError, KeyError, TypeError, RecursionError):
            serials = None
        if serials is None:
            if not lines and tail == b"":
                return _Journal([snapshot_serial], [], 0, 0)
            raise BackendError(
                f"the journal {journal} has no valid header line, so it cannot be tied to a snapshot. "
                "Move it aside to load the last snapshot alone (its changes are then forgotten; run "
                "`imgb refresh` to find them again)."
            )
        entries: list[bytes] = []
        offset = len(lines[0]) + 1
        good = offset
        body = lines[1:]
        for i, line in enumerate(body):
            entry = _decode_journal_line(line)
            if entry is None:
                if i == len(body) - 1 and tail == b"":
                    break  # the last line is torn: a crash mid-append, dropped
                raise BackendError(
                    f"the journal {journal} is corrupt at line {i + 2}: the line does not match its checksum. "
                    f"The lines before it are valid. Keep a copy of the file, then delete line {i + 2} and "
                    "every later line (those recorded changes are forgotten) or move the journal aside to "
                    "load the last snapshot alone; run `imgb refresh` afterwards."
                )
            entries.append(entry)
            offset += len(line) + 1
            good = offset
        return _Journal(serials, entries, good, len(raw))

    def _write_journal(self, journal: Path, serials: list[int], entries: list[bytes]) -> None:
        header = json.dumps({"imgb_journal": _JOURNAL_FORMAT, "serials": serials}).encode() + b"\n"
        tmp = journal.with_name(f".{journal.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        try:
            self._write_file(tmp, header + b"".join(encode_journal_line(e) for e in entries))
            os.replace(tmp, journal)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def journal(self, workspace: str = DEFAULT_WORKSPACE) -> list[bytes]:
        with self._mutex:
            serial = self._stored_serial(self.state_path(workspace))
            parsed = self._read_journal(self._sibling(workspace, ".journal"), serial)
            if serial not in parsed.serials:
                return []  # left over from before the current snapshot
            return parsed.entries

    def _appender(self, workspace: str) -> _Appender:
        journal = self._sibling(workspace, ".journal")
        cached = self._appenders.get(workspace)
        if cached is not None:
            try:
                if os.lstat(journal).st_ino == cached.ino:
                    return cached
            except FileNotFoundError:
                pass
            self._drop_appender(workspace)
        p = self.state_path(workspace)
        _make_private_dirs(p.parent)
        serial = self._stored_serial(p)
        parsed = self._read_journal(journal, serial)
        if not journal.exists() or serial not in parsed.serials:
            self._write_journal(journal, [serial], [])
            parsed = self._read_journal(journal, serial)
        fd = _open_nofollow(journal, os.O_WRONLY | os.O_APPEND)
        try:
            if parsed.size != parsed.good_size:
                # Cut a torn last line off, or the next entry would be glued to it.
                os.ftruncate(fd, parsed.good_size)
                os.fsync(fd)
            appender = _Appender(fd, os.fstat(fd).st_ino, parsed.good_size)
        except BaseException:
            os.close(fd)
            raise
        self._appenders[workspace] = appender
        return appender

    def _drop_appender(self, workspace: str) -> None:
        a = self._appenders.pop(workspace, None)
        if a is not None:
            os.close(a.fd)

    def append(self, entries: list[bytes], workspace: str = DEFAULT_WORKSPACE) -> None:
        if not entries:
            return
        payload = b"".join(encode_journal_line(e) for e in entries)
        with self._mutex:
            journal = self._sibling(workspace, ".journal")
            try:
                a = self._appender(workspace)
            except OSError as e:
                raise BackendError(
                    f"cannot open the journal {journal}: {_describe_oserror(e)}. The state and the journal "
                    "are as they were before this change."
                ) from e
            try:
                _write_all(a.fd, payload)
                os.fdatasync(a.fd)
            except OSError as e:
                with contextlib.suppress(OSError):
                    os.ftruncate(a.fd, a.size)  # leave no partial line behind
                self._drop_appender(workspace)
                raise BackendError(
                    f"could not append to the journal {journal}: {_describe_oserror(e)}. The state and every "
                    f"change recorded before this one are intact (snapshot {self.state_path(workspace)}, "
                    "backup next to it). Free some space and run the command again."
                ) from e
            a.size += len(payload)

    # -- locking -------------------------------------------------------------------------------
    def lock(self, info: LockInfo, *, timeout: float = 0.0, workspace: str = DEFAULT_WORKSPACE) -> None:
        deadline = time.monotonic() + max(timeout, 0.0)
        delay = 0.02
        while True:
            try:
                self._try_lock(info, workspace)
                return
            except LockError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.1)

    def _lock_message(self, holder: LockInfo | None, workspace: str) -> str:
        where = self.state_path(workspace)
        if holder is None:
            return f"the state {where} is locked by another process"
        return (
            f"the state {where} is locked by {holder.who} (pid {holder.pid} on {holder.host}, "
            f"operation {holder.operation or 'unknown'}, since {holder.created}, lock ID {holder.id})"
        )

    def _try_lock(self, info: LockInfo, workspace: str) -> None:
        with self._mutex:
            held = self._locks.get(workspace)
            if held is not None:
                raise LockError(held.info, self._lock_message(held.info, workspace) + " (this process)")
            lock_path = self._sibling(workspace, ".lock")
            try:
                _make_private_dirs(lock_path.parent)
            except OSError as e:
                raise BackendError(f"cannot create {lock_path.parent}: {_describe_oserror(e)}.") from e
            for _ in range(10):
                fd = _open_nofollow(lock_path, os.O_RDWR | os.O_CREAT)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = _read_lock_info(fd)
                    if (
                        holder is not None
                        and holder.host == hostname()
                        and not pid_alive(holder.pid)
                    ):
                        # The writer died but a process it forked kept the flock: stale, take it over.
                        if _same_file(fd, lock_path):
                            with contextlib.suppress(FileNotFoundError):
                                lock_path.unlink()
                        os.close(fd)
                        continue
                    os.close(fd)
                    raise LockError(holder, self._lock_message(holder, workspace)) from None
                except BaseException:
                    os.close(fd)
                    raise
                if not _same_file(fd, lock_path):
                    os.close(fd)  # force-unlocked (unlinked) while we waited: lock the new file
                    continue
                try:
                    data = json.dumps(info.to_json(), sort_keys=True).encode() + b"\n"
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, data, 0)
                    # No fsync: the info is for display while the flock is held, which other processes
                    # read from the page cache; a crash frees the flock, and the next holder rewrites it.
                except OSError as e:
                    os.close(fd)
                    raise BackendError(
                        f"cannot write the lock file {lock_path}: {_describe_oserror(e)}."
                    ) from e
                self._locks[workspace] = _HeldLock(fd, info)
                return
            raise LockError(None, self._lock_message(None, workspace))

    def unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None:
        with self._mutex:
            held = self._locks.get(workspace)
            if held is None or held.info.id != lock_id:
                raise LockError(
                    held.info if held else None,
                    f"cannot unlock {self.state_path(workspace)}: this process does not hold lock {lock_id}",
                )
            self._release(workspace, held)

    def _release(self, workspace: str, held: _HeldLock) -> None:
        lock_path = self._sibling(workspace, ".lock")
        # Unlink before closing so no one sees a free lock file still carrying our info.
        if _same_file(held.fd, lock_path):
            with contextlib.suppress(FileNotFoundError):
                lock_path.unlink()
        os.close(held.fd)
        del self._locks[workspace]

    def lock_holder(self, workspace: str = DEFAULT_WORKSPACE) -> LockInfo | None:
        with self._mutex:
            held = self._locks.get(workspace)
            if held is not None:
                return held.info
            lock_path = self._sibling(workspace, ".lock")
            try:
                fd = _open_nofollow(lock_path, os.O_RDONLY)
            except FileNotFoundError:
                return None
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = _read_lock_info(fd)
                    if (
                        holder is not None
                        and holder.host == hostname()
                        and not pid_alive(holder.pid)
                    ):
                        return None  # stale: the next lock takes it over
                    return holder or LockInfo(id="", operation="", who="unknown", host="", pid=0, created="")
                return None  # nobody holds the flock: a leftover file of a finished or killed process
            finally:
                os.close(fd)

    def force_unlock(self, lock_id: str, workspace: str = DEFAULT_WORKSPACE) -> None:
        with self._mutex:
            holder = self.lock_holder(workspace)
            if holder is None:
                raise LockError(None, f"the state {self.state_path(workspace)} is not locked")
            if holder.id != lock_id:
                raise LockError(
                    holder,
                    f"the state {self.state_path(workspace)} is locked with ID {holder.id}, not {lock_id}; "
                    "check the ID and run force-unlock again",
                )
            held = self._locks.get(workspace)
            if held is not None:
                self._release(workspace, held)
                return
            # The holder keeps its flock on the unlinked file; new lockers create a fresh file.
            with contextlib.suppress(FileNotFoundError):
                self._sibling(workspace, ".lock").unlink()

    # -- workspaces ----------------------------------------------------------------------------
    def workspaces(self) -> list[str]:
        names = {DEFAULT_WORKSPACE}
        root = self.path.parent / WORKSPACES_DIR
        try:
            children = list(root.iterdir())
        except FileNotFoundError:
            children = []
        for child in children:
            base = child / self.path.name
            if base.exists() or base.with_name(base.name + ".journal").exists():
                names.add(child.name)
        return sorted(names)

    def delete_workspace(self, workspace: str) -> None:
        if workspace == DEFAULT_WORKSPACE:
            raise BackendError('the "default" workspace cannot be deleted')
        with self._mutex:
            self._drop_appender(workspace)
            held = self._locks.get(workspace)
            p = self.state_path(workspace)
            # The snapshot last: a crash part way leaves a workspace that still loads.
            for suffix in (".journal", ".backup", ""):
                with contextlib.suppress(FileNotFoundError):
                    p.with_name(p.name + suffix).unlink()
            if held is not None:
                self._release(workspace, held)
            with contextlib.suppress(OSError):  # not empty: someone else's files stay
                p.parent.rmdir()

    def close(self) -> None:
        with self._mutex:
            for ws in list(self._appenders):
                self._drop_appender(ws)
            for ws, held in list(self._locks.items()):
                self._release(ws, held)


def _open_nofollow(path: Path, flags: int) -> int:
    """Open a file of the state, never through a symbolic link in its last component (the
    directories are checked by ``_guard``), never waiting on a pipe."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise BackendError(f"{path} is a symbolic link; imgb does not follow links for state and lock files "
                               "(one could lead to another project's state, or to a file a write would destroy). "
                               "Remove it.") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BackendError(f"{path} is not a regular file; remove it.")
    return fd


def _read_nofollow(path: Path) -> bytes:
    fd = _open_nofollow(path, os.O_RDONLY)
    try:
        return read_fd(fd)
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino)


def _read_lock_info(fd: int) -> LockInfo | None:
    try:
        raw = os.pread(fd, 65536, 0)
        obj = json.loads(raw)
        return LockInfo(
            id=str(obj["id"]),
            operation=str(obj.get("operation", "")),
            who=str(obj.get("who", "")),
            host=str(obj.get("host", "")),
            pid=int(obj.get("pid", 0)),
            created=str(obj.get("created", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # being written right now, or not ours
