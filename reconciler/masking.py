"""Sensitive values: masked wherever imgb writes (plans, state, output), and noticed when they change."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

MASK = "(sensitive)"
SECRETS_DIGEST = "secrets_digest"
"""The attribute holding a digest of a resource's unmasked attributes, when any hold a secret."""


def make_masker(secrets: Iterable[str]) -> Callable[[Any], Any]:
    """A function that replaces every secret inside strings, dict values and lists with ``MASK``."""
    # Longest first, so a secret that contains another is masked whole.
    ordered = sorted({s for s in secrets if s}, key=lambda s: (-len(s), s))

    def mask(value: Any) -> Any:
        if not ordered:
            return value
        if isinstance(value, str):
            for s in ordered:
                value = value.replace(s, MASK)
            return value
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [mask(v) for v in value]
        return value

    return mask
