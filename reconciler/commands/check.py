"""Offline checks of command content and documented limits over a loaded configuration."""

from __future__ import annotations

from reconciler.config.model import Config
from reconciler.diagnostics import Diagnostics


def check_content(config: Config) -> Diagnostics:
    """Every problem with components' and templates' content and limits."""
    return Diagnostics()
