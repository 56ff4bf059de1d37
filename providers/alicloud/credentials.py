"""Credentials through alibabacloud-credentials' providers, and scrubbing them from any text.

Which source, first match wins (the Terraform provider's order and environment variables):

1. ``ecs_role_name`` (or ``ALICLOUD_ECS_ROLE_NAME`` / ``ALIBABA_CLOUD_ECS_METADATA``): the RAM role of
   the ECS instance imgb runs on, from the instance metadata service;
2. ``profile`` (or ``ALICLOUD_PROFILE`` / ``ALIBABA_CLOUD_PROFILE``): a profile of the Alibaba Cloud
   CLI's ``~/.aliyun/config.json`` (any of its modes, RamRoleArn included);
3. ``ALICLOUD_ACCESS_KEY`` / ``ALICLOUD_SECRET_KEY`` (+ ``ALICLOUD_SECURITY_TOKEN``), else
   ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` (+ ``ALIBABA_CLOUD_SECURITY_TOKEN``), read when used;
4. the library's default chain: OIDC, the CLI's current profile, the instance role, a credentials URI.

Then, with an ``assume_role`` block (or ``ALICLOUD_ASSUME_ROLE_ARN`` / ``ALIBABA_CLOUD_ROLE_ARN``),
that source signs STS ``AssumeRole`` for the role, in the role's account. Every provider that issues
temporary credentials (assumed role, instance role, CLI RamRoleArn profile) renews them before they
expire, at the next request: a build that outlives one token keeps being polled with the next.

imgb never stores a credential: not in state, handles, logs or errors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider
from alibabacloud_credentials.provider.default import DefaultCredentialsProvider
from alibabacloud_credentials.provider.ecs_ram_role import EcsRamRoleCredentialsProvider
from alibabacloud_credentials.provider.ram_role_arn import RamRoleArnCredentialsProvider
from alibabacloud_credentials.provider.static_ak import StaticAKCredentialsProvider
from alibabacloud_credentials.provider.static_sts import StaticSTSCredentialsProvider

REDACTED = "[redacted]"
DEFAULT_SESSION_NAME = "imgb"


def _env(env: Mapping[str, str], *names: str) -> str | None:
    return next((env[n] for n in names if env.get(n)), None)


@dataclass(frozen=True)
class AssumeRole:
    """The ``assume_role`` block: STS AssumeRole for ``role_arn`` (a role in the account to act in)."""

    role_arn: str
    session_name: str = DEFAULT_SESSION_NAME
    external_id: str | None = None
    duration: int = 3600
    """Seconds each set of temporary credentials lasts (900 to the role's maximum, at most 43200)."""
    policy: str | None = None
    sts_region: str | None = None
    """Call STS in this region (sts.<region>.aliyuncs.com) instead of sts.aliyuncs.com."""

    @staticmethod
    def from_config(block: Mapping[str, Any] | None, env: Mapping[str, str]) -> AssumeRole | None:
        block = block or {}
        arn = block.get("role_arn") or _env(env, "ALICLOUD_ASSUME_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN")
        if not arn:
            return None
        session = block.get("session_name") or _env(env, "ALICLOUD_ASSUME_ROLE_SESSION_NAME",
                                                     "ALIBABA_CLOUD_ROLE_SESSION_NAME") or DEFAULT_SESSION_NAME
        return AssumeRole(role_arn=str(arn), session_name=str(session),
                          external_id=str(block["external_id"]) if block.get("external_id") else None,
                          duration=int(block.get("duration") or 3600),
                          policy=str(block["policy"]) if block.get("policy") else None,
                          sts_region=str(block["sts_region"]) if block.get("sts_region") else None)


def source_provider(*, profile: str | None = None, ecs_role_name: str | None = None,
                    env: Mapping[str, str] | None = None) -> Any:
    """The credentials provider of the first configured source (see the module docstring)."""
    env = os.environ if env is None else env
    role = ecs_role_name or _env(env, "ALICLOUD_ECS_ROLE_NAME", "ALIBABA_CLOUD_ECS_METADATA")
    if role:
        return EcsRamRoleCredentialsProvider(role_name=role)
    profile = profile or _env(env, "ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE")
    if profile:
        return CLIProfileCredentialsProvider(profile_name=profile)
    # The library's own names are read here too: its default chain reads them once, when it is first
    # imported, so a process whose environment changes later (imgb as a library, tests) would not see them.
    ak = _env(env, "ALICLOUD_ACCESS_KEY") or _env(env, "ALIBABA_CLOUD_ACCESS_KEY_ID")
    sk = _env(env, "ALICLOUD_SECRET_KEY") or _env(env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if ak and sk:
        token = _env(env, "ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN")
        if token:
            return StaticSTSCredentialsProvider(access_key_id=ak, access_key_secret=sk, security_token=token)
        return StaticAKCredentialsProvider(access_key_id=ak, access_key_secret=sk)
    return DefaultCredentialsProvider()


def credential_client(*, profile: str | None = None, ecs_role_name: str | None = None,
                      assume_role: AssumeRole | None = None, base: Any = None,
                      env: Mapping[str, str] | None = None) -> CredentialClient:
    """A credentials client for the configured source, assuming ``assume_role`` on top of it.
    ``base`` replaces the source (a caller that already holds credentials)."""
    source = base if base is not None else source_provider(profile=profile, ecs_role_name=ecs_role_name, env=env)
    if assume_role is None:
        return CredentialClient(provider=source)
    assumed = RamRoleArnCredentialsProvider(
        credentials_provider=source, role_arn=assume_role.role_arn, role_session_name=assume_role.session_name,
        duration_seconds=assume_role.duration, external_id=assume_role.external_id, policy=assume_role.policy,
        sts_region_id=assume_role.sts_region)
    return CredentialClient(provider=assumed)


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
        """Remember the current credential values (cached by the provider; refreshed ones included)."""
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
