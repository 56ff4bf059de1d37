"""Where imgb finds its providers and state backends: Python entry points, as pytest finds plugins.

A distribution registers them in its metadata (``pyproject.toml``)::

    [project.entry-points."imgb.providers"]
    acme = "acme_imgb.provider:AcmeProvider"

    [project.entry-points."imgb.backends"]
    s3 = "acme_imgb.backend:S3Backend"

imgb's own (``local`` and ``alicloud``; the ``local`` and ``pg`` backends) are registered the same
way, so nothing in the engine names a provider or a backend. The name is the block label
(``provider "acme"``, ``backend "s3"``); the object is a class that declares its block
(``BLOCK``: attribute name -> ``Setting``) and builds itself from it (``from_config``):
``providers/base.py`` and ``state/backend.py`` say what else it must do.

Benchmarks may add provider classes without installing anything: ``IMGB_PROVIDERS_EXTRA`` holds
``type=module:Class`` entries separated by commas. Not a plugin system for users.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

PROVIDERS = "imgb.providers"
BACKENDS = "imgb.backends"
EXTRA_PROVIDERS_ENV = "IMGB_PROVIDERS_EXTRA"

SettingType = Literal["string", "int", "bool", "string_map", "string_list", "any", "block"]


@dataclass(frozen=True)
class Setting:
    """One attribute of a provider or backend block (or, of type ``block``, a nested block with
    ``attributes`` of its own)."""

    type: SettingType
    required: bool = False
    default: Any = None
    sensitive: bool = False
    """Masked wherever imgb writes, as sensitive variables are (a connection string)."""
    doc: str = ""
    attributes: Mapping[str, Setting] = field(default_factory=dict)


class PluginError(Exception):
    """An entry point that cannot be loaded (its module fails to import, or names nothing)."""


def provider_types(env: Mapping[str, str] | None = None, *, own: bool = False) -> list[str]:
    """Every provider type, by name; with ``own``, imgb's own (those its distribution registers)."""
    if own:
        return _own(PROVIDERS)
    return sorted({*_entry_points(PROVIDERS), *_extra(os.environ if env is None else env)})


def backend_types(*, own: bool = False) -> list[str]:
    return _own(BACKENDS) if own else sorted(_entry_points(BACKENDS))


def provider_class(ptype: str, env: Mapping[str, str] | None = None) -> Any | None:
    """The class serving ``provider "ptype"``, or None when nothing registers that type."""
    target = _entry_points(PROVIDERS).get(ptype) or _extra(os.environ if env is None else env).get(ptype)
    return None if target is None else _load(target)


def backend_class(btype: str) -> Any | None:
    """The class serving ``backend "btype"``, or None when nothing registers that type."""
    target = _entry_points(BACKENDS).get(btype)
    return None if target is None else _load(target)


def rescan() -> None:
    """Forget what was found: for a process that installed a distribution after looking."""
    for cached in (_entry_points, _scan, _own, _load):
        cached.cache_clear()


@functools.cache
def _entry_points(group: str) -> dict[str, str]:
    groups = _scan() if group.startswith("imgb.") else None
    if groups is not None:
        return groups.get(group, {})
    from importlib.metadata import entry_points

    out: dict[str, str] = {}
    for ep in entry_points(group=group):
        out.setdefault(ep.name, ep.value)  # the first on sys.path wins, as for imports
    return out


@functools.cache
def _scan() -> dict[str, dict[str, str]] | None:
    """imgb's groups' entry points, read as ``importlib.metadata`` reads them (the
    ``entry_points.txt`` of each ``*.dist-info`` and ``*.egg-info`` directory on ``sys.path``, the first
    distribution of a name and the first entry of a name winning), without importing it: that import
    alone costs more than a small configuration's whole ``imgb validate``. None when a ``sys.path``
    entry is a file (a zip archive, whose metadata only ``importlib.metadata`` reads): the caller
    then asks it."""
    groups: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for entry in sys.path:
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except NotADirectoryError:
            return None
        except OSError:
            continue
        for name in names:
            stem, _, suffix = name.rpartition(".")
            dist = stem.split("-", 1)[0].lower().replace("-", "_").replace(".", "_")
            if suffix not in ("dist-info", "egg-info") or dist in seen:
                continue
            seen.add(dist)
            try:
                with open(os.path.join(directory, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            if "[imgb." not in text:
                continue  # most distributions: nothing of imgb's (parsing every file cost ~2 ms)
            section: dict[str, str] | None = None
            for line in text.splitlines():
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("[") and line.endswith("]"):
                    section = groups.setdefault(line[1:-1].strip(), {})
                elif section is not None:
                    key, eq, value = line.partition("=")
                    if eq:
                        section.setdefault(key.strip(), value.strip())
    return groups


@functools.cache
def _own(group: str) -> list[str]:
    from importlib.metadata import entry_points

    return list(dict.fromkeys(ep.name for ep in entry_points(group=group) if ep.dist is not None and ep.dist.name == "imgb"))


def _extra(env: Mapping[str, str]) -> Mapping[str, str]:
    return _extra_of(env.get(EXTRA_PROVIDERS_ENV, ""))


@functools.lru_cache(maxsize=8)  # asked once per block of a configuration
def _extra_of(setting: str) -> Mapping[str, str]:
    out: dict[str, str] = {}
    for entry in setting.split(","):
        ptype, sep, target = entry.strip().partition("=")
        if sep and ptype and ":" in target:
            out[ptype.strip()] = target.strip()
    return out


@functools.cache
def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise PluginError(f"{target} cannot be loaded: {e}") from e
    return obj
