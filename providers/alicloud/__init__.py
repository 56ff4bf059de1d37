"""The alicloud provider: ECS Image Builder through Alibaba's official Python SDK.

The SDK loads only when the provider is used: ``schema.py`` (what the loader and the checks read)
imports none of it, and the names below are imported on first use."""

from __future__ import annotations

from typing import Any

__all__ = ["AlicloudProvider", "static_credentials"]


def __getattr__(name: str) -> Any:
    if name == "AlicloudProvider":
        from .provider import AlicloudProvider

        return AlicloudProvider
    if name == "static_credentials":
        from .credentials import static_credentials

        return static_credentials
    raise AttributeError(name)
