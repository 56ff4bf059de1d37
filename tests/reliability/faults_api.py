"""API fault mixes for the emulator, and storms: faults that come and go in bursts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.alicloud.emulator import Faults

SLOW_SECONDS = 1.5
"""A slow answer takes this long; the CLI under test gives up on an API call after READ_TIMEOUT."""
READ_TIMEOUT = "0.5"


def fault_mix(kind: str, rate: float, seed: int) -> Faults:
    """Faults of one kind at ``rate`` per request (``mixed``: the four kinds, rate/4 each)."""
    if kind == "throttling":
        return Faults(seed=seed, throttle_rate=rate, retry_after=None)
    if kind == "5xx":
        return Faults(seed=seed, server_error_rate=rate)
    if kind == "timeouts":
        return Faults(seed=seed, slow_rate=rate, slow_seconds=SLOW_SECONDS)
    if kind == "dropped":
        return Faults(seed=seed, drop_rate=rate)
    if kind == "mixed":
        q = rate / 4
        return Faults(seed=seed, throttle_rate=q, retry_after=None, server_error_rate=q, drop_rate=q, slow_rate=q,
                      slow_seconds=SLOW_SECONDS)
    raise ValueError(kind)


class Storm:
    """Switches ``faults`` on for ``on`` seconds and off for ``off`` seconds, repeatedly (or once,
    ``times=1``), from a background thread; a context manager. Off means no faults at all."""

    def __init__(self, emulator: Any, faults: Callable[[int], Faults], on: float, off: float, times: int = 0):
        self.emulator = emulator
        self.faults = faults
        self.on, self.off, self.times = on, off, times
        self.bursts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set() and (not self.times or self.bursts < self.times):
            self.emulator.set_faults(self.faults(self.bursts))
            self.bursts += 1
            self._stop.wait(self.on)
            # The first burst lasts until a request meets it: on a loaded machine the CLI under test
            # can take longer than one burst to send its first request, and a storm nobody met
            # proves nothing.
            while self.bursts == 1 and not self._stop.is_set() and not any(e.fault for e in self.emulator.log):
                self._stop.wait(0.05)
            self.emulator.set_faults(Faults())
            self._stop.wait(self.off)

    def __enter__(self) -> Storm:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.emulator.set_faults(Faults())
