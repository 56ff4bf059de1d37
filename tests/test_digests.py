"""imgb.digests gives the digests hashlib and hmac give (it avoids loading OpenSSL for small inputs)."""

from __future__ import annotations

import hashlib
import hmac
import io
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from imgb import digests


@settings(max_examples=300)
@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_hmac_is_hmacs(key: bytes, message: bytes) -> None:
    assert digests.hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()


@settings(max_examples=100)
@given(data=st.binary(max_size=5000))
def test_sha256_is_hashlibs(data: bytes) -> None:
    expected = hashlib.sha256(data).hexdigest()
    assert digests.sha256(data).hexdigest() == expected
    assert digests.sha256_hex(data) == expected
    assert digests.sha256_file(io.BytesIO(data), len(data)) == expected


def test_large_inputs_go_to_openssl_with_the_same_digest() -> None:
    data = bytes(range(256)) * (digests.LARGE // 256 + 3)
    expected = hashlib.sha256(data).hexdigest()
    assert digests.sha256_hex(data) == expected
    assert digests.sha256_file(io.BytesIO(data), len(data)) == expected
    f = io.BytesIO(b"skipped" + data)
    f.seek(7)
    assert digests.sha256_file(f, len(data)) == expected


def test_digests_do_not_load_openssl() -> None:
    probe = (
        "import sys; from imgb import digests\n"
        "digests.hmac_sha256(b'k', digests.sha256(b'x').digest()); digests.sha256_hex(b'y')\n"
        "print('_hashlib' in sys.modules, 'hashlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert digests.compare_digest(b"abc", b"abc") and not digests.compare_digest(b"abc", b"abd")
