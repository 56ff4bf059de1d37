"""The embedded ``local`` provider: real sandboxed OCI image builds, local regions, copies, shares.

Public API: ``LocalProvider`` (the Provider), ``list_images`` and ``build_log`` (for ``imgb images``
and ``imgb logs``), ``import_image`` (for ``imgb image import``), ``default_root``. They are
imported on first use: ``schema.py``, which the loader and the checks read, needs none of them.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "BaseImageError": "baseimages", "import_image": "baseimages", "LocalProvider": "provider", "build_log": "provider",
    "list_images": "provider", "default_root": "schema",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"imgb.providers.local.{_HOMES[name]}"), name)
