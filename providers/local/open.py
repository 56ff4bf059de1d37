"""Opening the local provider a ``provider "local"`` block names (its entry point's opener)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.providers.local.provider import LocalProvider
from imgb.providers.local.schema import store_root


def open_local(region: str, settings: Mapping[str, Any], directory: Path) -> LocalProvider:
    return LocalProvider(root=store_root(settings, directory), region=region)
