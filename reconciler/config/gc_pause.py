"""Pausing the cyclic garbage collector around bulk object creation (parsing, unpickling, loading)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: building many small objects (Lark trees, our AST, unpickling) triggers
    it over and over and makes the work superlinear (performance-anchors §3). Nothing made here
    holds cycles worth collecting early."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
