"""Hash, UUID, bcrypt and RSA functions. uuid and bcrypt give a new result on every run."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from imgb.reconciler.config import numbers
from imgb.reconciler.config.functions import Call, FuncError, Param, function
from imgb.reconciler.config.types import NUMBER, STRING
from imgb.reconciler.config.values import nfc

S = Param("str", STRING)


def _hex(algo: str) -> Any:
    return lambda c, a: hashlib.new(algo, a[0].encode()).hexdigest()


def _b64(algo: str) -> Any:
    return lambda c, a: base64.b64encode(hashlib.new(algo, a[0].encode()).digest()).decode()


for _name, _algo in (("md5", "md5"), ("sha1", "sha1"), ("sha256", "sha256"), ("sha512", "sha512")):
    function(_name, S)(_hex(_algo))
for _name, _algo in (("base64sha256", "sha256"), ("base64sha512", "sha512")):
    function(_name, S)(_b64(_algo))


@function("uuid", volatile=True)
def f_uuid(c: Call, a: list[Any]) -> Any:
    import uuid as _uuid  # (with platform: only for configurations that call it)

    return str(_uuid.uuid4())


@function("uuidv5", Param("namespace", STRING), Param("name", STRING))
def f_uuidv5(c: Call, a: list[Any]) -> Any:
    import uuid as _uuid

    namespaces = {"dns": _uuid.NAMESPACE_DNS, "url": _uuid.NAMESPACE_URL, "oid": _uuid.NAMESPACE_OID, "x500": _uuid.NAMESPACE_X500}
    ns = namespaces.get(a[0])
    if ns is None:
        try:
            ns = _uuid.UUID(a[0])
        except ValueError:
            raise FuncError(
                f'uuidv5() doesn\'t support namespace prefix "{a[0]}": must be one of "dns", "url", "oid", '
                '"x500", or a UUID', 0
            ) from None
    return str(_uuid.uuid5(ns, a[1]))


@function("bcrypt", S, variadic=Param("cost", NUMBER), volatile=True)
def f_bcrypt(c: Call, a: list[Any]) -> Any:
    cost = 10
    if len(a) > 2:
        raise FuncError("bcrypt() takes no more than two arguments")
    if len(a) == 2:
        n = numbers.to_int(a[1])
        if n is None:
            raise FuncError("the cost must be a whole number", 1)
        cost = n
    if cost < 4:
        cost = 10  # Go's bcrypt uses its default cost below the minimum
    if cost > 31:
        raise FuncError(f"error occurred generating password crypto/bcrypt: cost {cost} is outside allowed range (4,31)")
    secret = a[0].encode()
    if len(secret) > 72:
        raise FuncError("error occurred generating password bcrypt: password length exceeds 72 bytes")
    return _bcrypt_hash(secret, cost)


def _bcrypt_hash(secret: bytes, cost: int) -> str:
    import bcrypt as _bc

    return str(_bc.hashpw(secret, _bc.gensalt(rounds=cost, prefix=b"2a")).decode())


@function("rsadecrypt", Param("ciphertext", STRING), Param("privatekey", STRING))
def f_rsadecrypt(c: Call, a: list[Any]) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        data = base64.b64decode(a[0], validate=True)
    except ValueError:
        raise FuncError("failed to decode input \"cipher_text\": cipher text must be base64-encoded", 0) from None
    try:
        key = serialization.load_pem_private_key(a[1].encode(), password=None)
    except (ValueError, TypeError):
        raise FuncError("invalid private key: failed to parse a PKCS#1 or PKCS#8 private key", 1) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise FuncError("invalid private key: not an RSA key", 1)
    try:
        plain = key.decrypt(data, padding.PKCS1v15())
    except ValueError:
        raise FuncError("failed to decrypt: crypto/rsa: decryption error") from None
    try:
        return nfc(plain.decode("utf-8"))
    except UnicodeDecodeError:
        raise FuncError("the decrypted text is not valid UTF-8") from None
