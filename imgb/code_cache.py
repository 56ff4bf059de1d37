"""Files of code imgb would otherwise compile at every start, kept beside its own bytecode: the
methods ``dataclasses`` writes (``dataclass_code``) and the programs of regular expressions
(``regex_code``). Each is a marshalled dict, trusted as imgb's ``.pyc`` files are, in the same
directory (``imgb/__pycache__``, one file per Python version: marshal and bytecode are not
portable between them). Where Python writes no bytecode (``PYTHONDONTWRITEBYTECODE``, a
``PYTHONPYCACHEPREFIX``) nothing is kept: the cache directory would not do, since an operator may
put it inside a checkout, and code from there runs whatever it says. A missing, unreadable or
damaged file only costs the compile."""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from typing import Any

MAX_BYTES = 8 << 20
"""A file grown past this (entries of code since edited) is started afresh."""


def path(kind: str) -> str | None:
    """Where the file of ``kind`` is kept, or None when bytecode is not written."""
    if sys.dont_write_bytecode or sys.pycache_prefix is not None:
        return None
    name = f"{kind}.{sys.implementation.cache_tag}-{'.'.join(map(str, sys.version_info[:3]))}.marshal"
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__", name)


def load(file: str) -> dict[Any, Any]:
    """The file's dict; empty when there is none or it is not one."""
    try:
        with open(file, "rb") as f:
            data = f.read(MAX_BYTES + 1)
        loaded = marshal.loads(data) if len(data) <= MAX_BYTES else {}
    except (OSError, ValueError, EOFError, TypeError):
        return {}  # no file yet, or one that is not readable: compile
    return loaded if isinstance(loaded, dict) else {}


def store(file: str, entries: dict[Any, Any]) -> None:
    """Replace the file with ``entries``, atomically; a directory imgb cannot write is left alone."""
    tmp = f"{file}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(file), exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps(entries))
        os.replace(tmp, file)
    except (OSError, ValueError):  # not writable (or an entry marshal cannot keep): compiled again
        with contextlib.suppress(OSError):
            os.unlink(tmp)
