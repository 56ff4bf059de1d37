"""What counts as a base image in a local region: the built-in names, and records of base images
(built in or imported, not built or copied by imgb). Plain data, for the checks a plan runs;
making and importing base images is ``baseimages``' (with its archive and layer machinery)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BUILTIN = ("busybox", "scratch")


def is_base(rec: Mapping[str, Any]) -> bool:
    """An imported or built-in base image (not one imgb built or copied)."""
    source = str(rec.get("source") or "")
    return source == "builtin" or source.startswith("import:")
