"""Worker threads for the apply engine, started without waiting for each one to come up.

``threading.Thread.start`` (and so ``ThreadPoolExecutor.submit``) blocks until the new thread has
run; when the threads already started hold the GIL, every start waits a switch interval (5 ms).
Starting 100 actions at once then took 0.1-0.2 s before the last one began; raw threads take ~10 ms.
"""

from __future__ import annotations

import _thread
import queue
import threading
from collections.abc import Callable
from typing import Any


class Workers:
    """At most ``limit`` threads running submitted calls; a call must not raise (the engine's
    wrapper reports its outcome). Use as a context manager: leaving it waits for idle threads
    to exit, so none outlives the apply."""

    def __init__(self, limit: int):
        self._limit = max(1, limit)
        self._tasks: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        """Threads blocked on the queue that no submitted task has claimed yet."""
        self._exited = threading.Semaphore(0)

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        with self._lock:
            if self._idle:
                self._idle -= 1  # claimed: that thread takes this task
            elif self._threads < self._limit:
                self._threads += 1
                _thread.start_new_thread(self._loop, ())
            # else: every thread is busy; the task waits for the first to finish
        self._tasks.put((fn, args))

    def _loop(self) -> None:
        try:
            while True:
                item = self._tasks.get()
                if item is None:
                    return
                fn, args = item
                fn(*args)
                with self._lock:
                    self._idle += 1
        finally:
            self._exited.release()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            count = self._threads
        for _ in range(count):
            self._tasks.put(None)
        for _ in range(count):
            self._exited.acquire()
