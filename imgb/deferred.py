"""Standard-library modules that imgb's imports pull in but a command seldom uses, loaded at their
first use instead.

``dataclasses`` imports ``inspect`` (which brings ``ast``, ``dis`` and ``tokenize``) only to write a
signature into a class without a docstring, and ``copy`` only for ``asdict`` and ``replace`` of
nested values; ``pathlib`` imports ``urllib.parse``, which imports ``ipaddress`` only for URLs with
a bracketed host. Loading them costs a small command ~4 ms of its start-up. ``defer`` puts a
stand-in into ``sys.modules`` that imports the real module when anything is first read from it,
so every use behaves as before (tests/test_deferred.py).
"""

from __future__ import annotations

import sys
from importlib.machinery import PathFinder
from types import ModuleType
from typing import Any

DEFERRED = ("copy", "inspect", "ipaddress")
"""Plain modules only (no packages: a stand-in has no ``__path__`` for submodules)."""


class Deferred(ModuleType):
    """Stands in for module ``__name__`` until something is read from it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        # the real module's spec, found without loading it: the import system and
        # importlib.util.find_spec read a module's __spec__ (None would be refused)
        self.__spec__ = PathFinder.find_spec(name)

    def __getattr__(self, attr: str) -> Any:
        real = sys.modules.get(self.__name__)
        if real is None or real is self:
            del sys.modules[self.__name__]
            real = __import__(self.__name__)
        return getattr(real, attr)


def defer(names: tuple[str, ...] = DEFERRED) -> None:
    """Stand-ins for ``names`` not imported yet (only the command line's process calls this)."""
    for name in names:
        if name not in sys.modules:
            sys.modules[name] = Deferred(name)
