"""Where imgb keeps what it can compute again (parsed files, prices, the compiled seccomp filter):
the operator's choice, never the configuration's. Standard library only, so that the build worker
finds it without importing the reconciler."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """IMGB_CACHE_DIR, else $XDG_CACHE_HOME/imgb, else ~/.cache/imgb."""
    env = os.environ if env is None else env
    if env.get("IMGB_CACHE_DIR"):
        return Path(env["IMGB_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "imgb"
    return Path.home() / ".cache" / "imgb"
