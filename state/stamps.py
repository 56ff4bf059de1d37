"""What the state layer stamps on what it writes: random ids (a state's lineage, a lock's id) and
UTC times, in exactly the forms ``uuid.uuid4()`` and ``datetime.isoformat`` write them.

Without those modules: ``uuid`` imports ``platform``, and with ``datetime`` they cost a no-change
``imgb plan`` (which takes the state lock) ~4 ms, several per cent of its time.
tests/state/test_stamps.py holds the forms equal to the standard library's.
"""

from __future__ import annotations

import os
import time


def uuid4() -> str:
    """A random version-4 UUID, as ``str(uuid.uuid4())``."""
    return uuid4_of(os.urandom(16))


def uuid4_of(raw: bytes) -> str:
    """``str(uuid.UUID(bytes=raw, version=4))``: the variant and version bits set in 16 bytes."""
    n = int.from_bytes(raw, "big")
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # variant: RFC 4122
    n = (n & ~(0xF000 << 64)) | (4 << 76)  # version 4
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def utc_iso(*, milliseconds: bool) -> str:
    """Now, as ``datetime.now(UTC).isoformat(timespec="milliseconds" or "seconds")``."""
    return utc_iso_of(time.time_ns(), milliseconds=milliseconds)


def utc_iso_of(ns: int, *, milliseconds: bool) -> str:
    """The time ``ns`` nanoseconds after the epoch, as ``datetime`` writes it (truncated, as
    ``datetime.now`` truncates the clock to microseconds and ``isoformat`` those to milliseconds)."""
    seconds, rest = divmod(ns, 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}.{rest // 1_000_000:03d}+00:00" if milliseconds else f"{text}+00:00"
