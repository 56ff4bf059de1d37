"""The imgb CLI with test-only crash and disk-full points: ``python -m tests.reliability.crash_runner ARGS``.

The CLI runs unchanged (``imgb.reconciler.cli.main``); only the state backend it opens is wrapped, so
that a crash can land exactly where it hurts most: between a provider having acted and the state
recording it. Environment:

* ``IMGB_CRASH_AT=N``: SIGKILL this process (as ``kill -9`` would) at its Nth durable state write
  (a journal append or a snapshot write), ``IMGB_CRASH_WHEN=before`` (default: the write never
  happens) or ``after`` (it is durable, nothing after it is).
* ``IMGB_CRASH_ON=REGEX``: the same, at the first journal append with an entry matching REGEX
  (entries are compact JSON with sorted keys: ``"op":"put","resource":{"address":"template.``).
* ``IMGB_ENOSPC_AT=N``: from the Nth low-level write of the local backend on, the write fails with
  ``OSError(ENOSPC)`` raised inside ``state.local`` itself, so the backend's real error handling
  runs (a disk that filled up and stays full).
* ``IMGB_CRASH_COUNT_FILE=F``: after every durable write, F holds how many there were so far.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_count = 0


def _note_write(when: str, entries: Sequence[bytes] = ()) -> None:
    """Count a durable write; kill the process at the chosen one."""
    global _count
    crash_at = int(os.environ.get("IMGB_CRASH_AT", "0") or 0)
    crash_on = os.environ.get("IMGB_CRASH_ON")
    crash_when = os.environ.get("IMGB_CRASH_WHEN", "before")
    with _lock:
        if when == "before":
            _count += 1
        n = _count
        hit = (crash_at and n == crash_at) or (crash_on and any(re.search(crash_on, e.decode()) for e in entries))
        if hit and when == crash_when:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        count_file = os.environ.get("IMGB_CRASH_COUNT_FILE")
        if count_file and when == "after":
            Path(count_file).write_text(str(n))


class CrashingBackend:
    """A real backend whose durable writes pass through ``_note_write``."""

    def __init__(self, inner: Any):
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def write(self, data: bytes, **kw: Any) -> None:
        _note_write("before")
        self._inner.write(data, **kw)
        _note_write("after")

    def append(self, entries: list[bytes], workspace: str = "default") -> None:
        _note_write("before", entries)
        self._inner.append(entries, workspace)
        _note_write("after", entries)


def _install_enospc(at: int) -> None:
    import imgb.state.local as local

    real = local._write_all
    calls = [0]

    def write_all(fd: int, data: bytes) -> None:
        calls[0] += 1
        if calls[0] >= at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, data)

    local._write_all = write_all  # type: ignore[assignment]


def main() -> int:
    import imgb.state.open as opener
    from imgb.reconciler import cli

    real_open = opener.open_backend

    def open_backend(*args: Any) -> Any:
        return CrashingBackend(real_open(*args))

    opener.open_backend = open_backend  # type: ignore[assignment]
    enospc_at = int(os.environ.get("IMGB_ENOSPC_AT", "0") or 0)
    if enospc_at:
        _install_enospc(enospc_at)
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
