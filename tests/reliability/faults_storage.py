"""Storage faults for the whole-system suites: a small filesystem that fills up, damaged state
files, and a PostgreSQL connection that goes away."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def small_filesystem(where: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted at ``where`` (root only; raises OSError when it cannot)."""
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise OSError(f"cannot mount a tmpfs: {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def can_mount_tmpfs(scratch: Path) -> bool:
    if os.geteuid() != 0:
        return False
    try:
        with small_filesystem(scratch, 64):
            return True
    except OSError:
        return False


def fill(directory: Path, leave: int) -> Path:
    """Fill the filesystem of ``directory`` until about ``leave`` bytes are free; returns the filler."""
    filler = directory / "filler"
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
        except OSError:
            pass  # already as full as it gets
    return filler


DAMAGE: dict[str, Callable[[bytes], bytes | None]] = {
    "truncated": lambda good: good[: len(good) // 2],
    "empty": lambda good: b"",
    "garbage": lambda good: bytes(range(256)) * 4,
    "wrong-field": lambda good: good.replace(b'"serial"', b'"serail"', 1),
    "bit-flipped": lambda good: good[:100] + bytes([good[100] ^ 0x40]) + good[101:],
    "deleted": lambda good: None,
}
"""Ways a state file gets damaged: new contents from the good ones (None: the file is gone)."""


def damage(path: Path, how: str) -> None:
    new = DAMAGE[how](path.read_bytes())
    if new is None:
        path.unlink()
    else:
        path.write_bytes(new)


class Terminator:
    """Ends imgb's PostgreSQL sessions (``pg_terminate_backend`` from another connection) after
    ``delay`` seconds, once one exists: a connection dropped mid-apply."""

    def __init__(self, dsn: str, delay: float):
        self.dsn = dsn
        self.delay = delay
        self.terminated = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'imgb'").fetchone()
                if row and row[0]:
                    break
                time.sleep(0.01)
            if self._stop.wait(self.delay):
                return
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'imgb'"
            ).fetchall()
            self.terminated = sum(1 for r in rows if r[0])

    def __enter__(self) -> Terminator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
