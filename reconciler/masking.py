"""Sensitive values: masked wherever imgb writes (plans, state, output), and noticed when they change."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from imgb import unknown
from imgb.digests import compare_digest

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


class Placeholders:
    """Writes each secret inside a value as a numbered placeholder (``\\ue000sensitive:N\\ue001``),
    numbered in order of first use, so apply can put the re-supplied secret back. ``used`` holds
    the secrets in that order."""

    PREFIX = "sensitive:"

    def __init__(self, secrets: Iterable[str]):
        ordered = sorted({s for s in secrets if s}, key=lambda s: (-len(s), s))  # longest first: whole secrets
        self._re = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None
        self.used: list[str] = []

    def __call__(self, value: Any) -> Any:
        if self._re is None:
            return value
        if isinstance(value, str):
            return self._re.sub(lambda m: unknown.marker(f"{self.PREFIX}{self._number(m.group())}"), value)
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        return value

    def _number(self, secret: str) -> int:
        if secret not in self.used:
            self.used.append(secret)
        return self.used.index(secret)


def fill_placeholders(value: Any, secrets: list[str]) -> Any:
    """``value`` with each placeholder ``Placeholders`` wrote replaced by its secret."""
    if isinstance(value, str):
        if not unknown.has_markers(value):
            return value
        return unknown.substitute_only(value, Placeholders.PREFIX, lambda n: secrets[int(n)])
    if isinstance(value, dict):
        return {k: fill_placeholders(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_placeholders(v, secrets) for v in value]
    return value


# Verifiers of sensitive values, so apply can tell that a value given again is the one a saved plan
# was made with, while the plan file holds no secret: a salted scrypt (RFC 7914), as passwords are
# stored. 8 MiB and some tens of milliseconds each; plans without sensitive values make none.
_N, _R, _P = 2**13, 8, 1


def verifier(secret: str) -> str:
    import hashlib  # OpenSSL's scrypt; loaded only for plans with sensitive values

    salt = os.urandom(16)
    key = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt:{_N}:{_R}:{_P}:{salt.hex()}:{key.hex()}"


def verifies(stored: str, secret: str) -> bool:
    import hashlib

    try:
        _, n, r, p, salt, key = stored.split(":")
        got = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return compare_digest(got.hex(), key)
