"""Storing a large parse-cache entry in a child process while this one goes on evaluating.

With an empty cache, pickling and sealing the syntax tree of a file of 1,000 blocks costs ~15 ms
(a tenth of a cold ``imgb validate``), and nothing this process does next needs the entry. A fork
takes that to a second core: the child holds a copy of the tree, stores it exactly as
``cache.store`` does, and ends; this process waits for its children at exit, so the entries exist
once the command has returned, as without the fork.

Only when it can pay: another CPU to run on, no other thread (a fork copies one thread; a lock
another held would stay locked in the child), and a file large enough. Otherwise, and when the
fork fails, the entry is stored here. The command line's fast path (``cli_fast``) turns this on; a
library caller stores in-line.
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path
from typing import Any

from imgb.reconciler.config import cache

MIN_BYTES = 16 * 1024
"""Below this, the fork (~1 ms) costs about what storing in-line does."""

_children: list[int] = []


def enable() -> None:
    if cache.store_hook is not _store:
        cache.store_hook = _store
        atexit.register(_reap)


def _store(path: Path, result: Any, size: int) -> bool:
    """True when a child stores ``result`` at ``path``; False: store it here."""
    if size < MIN_BYTES or not _can_fork():
        return False
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # the child: never returns
        code = 1
        try:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # whoever reads this command's output sees its end when the parent ends
                os.dup2(null, fd)
            cache.store(path, result)
            code = 0
        finally:
            os._exit(code)  # no exit handlers, no flush of buffers the parent owns
    _children.append(pid)
    return True


def _can_fork() -> bool:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if not hasattr(os, "fork") or cpus < 2:
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


WAIT_SECONDS = 30.0
"""How long the command waits at exit for its children, at most: a child that cannot store its
entry in that time (a stuck disk) is left to finish on its own, not waited on forever."""


def _reap() -> None:
    if not _children:
        return
    import time

    deadline = time.monotonic() + WAIT_SECONDS
    while _children:
        for pid in list(_children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                _children.remove(pid)
        if not _children or time.monotonic() > deadline:
            return
        time.sleep(0.001)
