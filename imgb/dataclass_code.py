"""The methods ``dataclasses`` writes for each class (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, a frozen class's ``__setattr__``/``__delattr__``), compiled once and kept on disk.

``dataclasses`` generates those methods as source text and compiles it with ``exec`` each time a
class is created: Python caches a module's bytecode but never this, and imgb's ~100 dataclasses
(the syntax tree, the configuration model, providers, plans) spent a third of a small command's
start-up compiling it again. ``install`` gives the ``dataclasses`` module an ``exec`` of its own
(a module global, which it finds before the builtin) that looks the text up in this cache and
runs the code object compiled from exactly that text; new texts are compiled as ``exec`` would
(no ``__future__`` flags: ``dataclasses`` has none) and added to the file when the process ends.
The code is the same either way (tests/test_dataclass_code.py compares the classes made both ways),
so a missing, unreadable or stale file only costs the compile.

The file is kept as ``code_cache`` says (beside imgb's own bytecode, only where that is written).
"""

from __future__ import annotations

import atexit
import builtins
import marshal
from types import CodeType
from typing import Any

from imgb import code_cache

_codes: dict[str, bytes] = {}
"""Source text -> its code, marshalled (unmarshalled when used: a file holds every class's methods)."""
_new: dict[str, bytes] = {}
_paths: list[str] = []


def cache_file() -> str | None:
    """Where the file is kept: beside imgb's bytecode, or nowhere when bytecode is not written."""
    return code_cache.path("dataclass-code")


def install() -> None:
    """From now on, classes made by ``dataclasses`` take their methods' code from the cache."""
    import dataclasses

    path = cache_file()
    if _paths or path is None:
        return
    _paths.append(path)
    loaded = code_cache.load(path)
    if all(type(v) is bytes for v in loaded.values()):
        _codes.update(loaded)
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    atexit.register(save)


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    if type(source) is str:
        code = _kept(source)
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            _codes[source] = _new[source] = marshal.dumps(code)
        source = code
    builtins.exec(source, globals, locals)


def _kept(source: str) -> CodeType | None:
    kept = _codes.get(source)
    if kept is None:
        return None
    try:
        code = marshal.loads(kept)
    except (ValueError, EOFError, TypeError):
        return None  # a damaged entry: compiled again (and replaced)
    return code if type(code) is CodeType else None


def save() -> None:
    """Add the code compiled in this process to the file (replaced atomically, private)."""
    if not _new:
        return
    _new.clear()
    code_cache.store(_paths[0], _codes)
