"""SHA-256 and HMAC-SHA-256 for small inputs, without loading OpenSSL.

``hashlib`` and ``hmac`` load OpenSSL's libcrypto when first imported (~3 ms, a tenth of a small
command's start-up). The interpreter's own SHA-256 gives the same digests; it is ~5x slower on
large inputs, so inputs from ``LARGE`` on go to ``hashlib`` (OpenSSL's SHA-256 uses the CPU's SHA
instructions), which is loaded then and only then.
"""

from __future__ import annotations

from typing import Any, BinaryIO

try:
    from _sha256 import sha256  # CPython 3.11
except ImportError:  # pragma: no cover - CPython 3.12+ names it _sha2; other interpreters: hashlib
    try:
        from _sha2 import sha256
    except ImportError:
        from hashlib import sha256

try:
    from _operator import _compare_digest as compare_digest
except ImportError:  # pragma: no cover
    from hmac import compare_digest  # type: ignore[no-redef]

LARGE = 1 << 20
"""Bytes from which hashing with OpenSSL pays for loading it."""

_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def new(size: int) -> Any:
    """A SHA-256 hash object for ``size`` bytes of input: OpenSSL's from ``LARGE`` on, the
    interpreter's below."""
    if size >= LARGE:
        import hashlib

        return hashlib.sha256()
    return sha256()


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA-256 (RFC 2104), as ``hmac.new(key, message, hashlib.sha256).digest()``."""
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = new(len(message))
    inner.update(key.translate(_IPAD))
    inner.update(message)
    return bytes(sha256(key.translate(_OPAD) + inner.digest()).digest())


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    h = new(len(data))
    h.update(data)
    return str(h.hexdigest())


def sha256_file(f: BinaryIO, size: int) -> str:
    """The hex SHA-256 of the open file ``f`` of ``size`` bytes, read from where it stands."""
    h = new(size)
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return str(h.hexdigest())


__all__ = ["compare_digest", "hmac_sha256", "new", "sha256", "sha256_file", "sha256_hex"]
