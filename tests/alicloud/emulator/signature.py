"""ACS3-HMAC-SHA256 verification: recompute the canonical request exactly as the service does.

Recipe (reference §6.3, public "V3 request structure and signature"): canonical query from the
decoded parameters re-encoded with ``quote(v, safe='~')`` and sorted by key; the signed headers
lower-cased, sorted, ``name:value\\n`` each; the hashed payload from ``x-acs-content-sha256``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from .errors import ApiError

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    expires_at: float | None = None
    """STS credentials stop working then."""


def _parse_authorization(value: str) -> tuple[str, str, list[str], str]:
    algo, _, rest = value.partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    if not algo or not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    return algo, fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]


def canonical_request(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], signed: list[str], payload_hash: str
) -> str:
    cq = "&".join(f"{k}={quote(query[k], safe='~')}" for k in sorted(query))
    ch = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
    return f"{method}\n{path or '/'}\n{cq}\n{ch}\n{';'.join(signed)}\n{payload_hash}"


def verify(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, Credential],
    now: float = 0.0,
) -> Credential:
    """The caller's credential, or an ApiError with the code the service documents."""
    auth = headers.get("authorization")
    if not auth:
        raise ApiError(400, "MissingAuthorization", "The Authorization header is required.")
    algo, ak, signed, signature = _parse_authorization(auth)
    if algo != ALGORITHM:
        raise ApiError(400, "InvalidSignatureMethod", f"The signature method {algo} is not supported.")
    cred = credentials.get(ak)
    if cred is None:
        raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    payload_hash = headers.get("x-acs-content-sha256", "")
    if payload_hash != hashlib.sha256(body).hexdigest():
        raise ApiError(400, "SignatureDoesNotMatch", "The request body does not match x-acs-content-sha256.")
    for required in ("host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce", "x-acs-version", "x-acs-content-sha256"):
        if required not in signed:
            raise ApiError(400, "IncompleteSignature", f"The header {required} must be signed.")
    canonical = canonical_request(method, path, query, headers, sorted(signed), payload_hash)
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = hmac.new(cred.access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
    if cred.security_token is not None and headers.get("x-acs-security-token") != cred.security_token:
        raise ApiError(400, "InvalidSecurityToken.Mismatch", "The security token does not match the access key.")
    if cred.expires_at is not None and now > cred.expires_at:
        raise ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
    return cred
