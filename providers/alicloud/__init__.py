"""The alicloud provider: ECS Image Builder through Alibaba's official Python SDK."""

from .credentials import static_credentials
from .provider import AlicloudProvider

__all__ = ["AlicloudProvider", "static_credentials"]
