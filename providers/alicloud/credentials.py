"""Credentials through alibabacloud-credentials' chain, and scrubbing them from any text.

The chain (env ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``ALIBABA_CLOUD_SECURITY_TOKEN``, the
CLI profile in ``~/.aliyun/config.json``, the ECS RAM role) is resolved lazily by the SDK at the
first request. imgb never stores a credential: not in state, handles, logs or errors.
"""

from __future__ import annotations

import threading
from typing import Any

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider

REDACTED = "[redacted]"


def credential_client(profile: str | None) -> CredentialClient:
    """The default chain, or the named CLI profile."""
    if profile:
        return CredentialClient(provider=CLIProfileCredentialsProvider(profile_name=profile))
    return CredentialClient()


def static_credentials(access_key_id: str, access_key_secret: str, security_token: str | None = None) -> CredentialClient:
    """Fixed credentials (tests, or a caller that already holds them)."""
    kind = "sts" if security_token else "access_key"
    return CredentialClient(CredentialConfig(type=kind, access_key_id=access_key_id,
                                             access_key_secret=access_key_secret, security_token=security_token))


class Redactor:
    """Replaces every credential value the provider has used with a placeholder."""

    def __init__(self, client: Any):
        self._client = client
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def learn(self) -> None:
        """Remember the current credential values (cached by the chain; refreshed ones included)."""
        try:
            cred = self._client.get_credential()
        except Exception:  # no credentials yet: nothing to hide
            return
        values = {cred.access_key_id, cred.access_key_secret, cred.security_token, getattr(cred, "bearer_token", None)}
        with self._lock:
            self._secrets |= {v for v in values if isinstance(v, str) and len(v) >= 4}

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            text = text.replace(s, REDACTED)
        return text
