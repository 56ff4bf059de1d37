"""The programs of regular expressions, compiled once and kept on disk.

Python compiles a pattern (parses it, then generates the program its matcher runs) the first time
a process uses it, and keeps it only for that process: imgb's modules and the standard library's
compile ~40-60 patterns at every start, ~5 ms of a small command. ``install`` gives ``re`` a
compiler (``re._compiler.compile``, which ``re`` calls only for a pattern it has not seen in this
process) that looks the pattern up in this cache and builds the pattern object from the program
kept for it, with the very call ``re`` makes (``_sre.compile``); new patterns are compiled as ``re``
compiles them and added to the file when the process ends. The pattern object is the same either
way (tests/test_regex_code.py), so a missing or stale file only costs the compile. The file is
kept as ``code_cache`` says, with the version of the matcher's instructions in its name.
"""

from __future__ import annotations

import atexit
import re
import sys
from typing import Any

from imgb import code_cache

_programs: dict[tuple[Any, int], tuple[Any, ...]] = {}
"""(pattern, flags) -> what ``_sre.compile`` takes besides the pattern: flags, program, groups..."""
_new: list[int] = []
_paths: list[str] = []


def install() -> None:
    """From now on, patterns compiled by ``re`` take their programs from the cache."""
    compiler = sys.modules.get("re._compiler")
    sre = sys.modules.get("_sre")
    if _paths or sys.implementation.name != "cpython" or compiler is None or sre is None or not all(
        hasattr(compiler, name) for name in ("compile", "_code", "_parser", "isstring")
    ):
        return  # another Python's re: leave it be
    path = code_cache.path(f"regex-code-{sre.MAGIC}")
    if path is None:
        return
    _paths.append(path)
    for key, value in code_cache.load(path).items():
        if type(key) is tuple and len(key) == 2 and type(value) is tuple and len(value) == 5:
            _programs[key] = value
    compiler.compile = _compile  # type: ignore[attr-defined]
    atexit.register(save)


def _compile(p: Any, flags: int = 0) -> Any:
    """``re._compiler.compile``, with the program from the cache when it holds the pattern's."""
    compiler = sys.modules["re._compiler"]
    if not compiler.isstring(p) or flags & re.DEBUG:
        return _ORIGINAL(p, flags)  # a parsed pattern (re's Scanner), or debug output wanted
    flags = int(flags)  # a RegexFlag (from a direct caller) as the plain number marshal keeps
    key = (p, flags)
    kept = _programs.get(key)
    if kept is not None:
        try:
            return compiler._sre.compile(p, *kept)
        except (TypeError, ValueError, RuntimeError):  # a damaged entry: compiled again (and replaced)
            pass
    # re._compiler.compile's own steps, keeping what _sre.compile is given
    parsed = compiler._parser.parse(p, flags)
    code = [int(c) for c in compiler._code(parsed, flags)]  # opcodes are named ints: as plain ones
    groupindex = parsed.state.groupdict
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    kept = (flags | parsed.state.flags, code, parsed.state.groups - 1, dict(groupindex), tuple(indexgroup))
    try:
        pattern = compiler._sre.compile(p, *kept)
    except (TypeError, ValueError, RuntimeError):  # a matcher that takes other arguments: keep nothing
        return _ORIGINAL(p, flags)
    _programs[key] = kept
    _new.append(1)
    return pattern


def save() -> None:
    """Add the programs compiled in this process to the file (replaced atomically)."""
    if _new:
        _new.clear()
        code_cache.store(_paths[0], _programs)


_ORIGINAL = re._compiler.compile  # type: ignore[attr-defined]
