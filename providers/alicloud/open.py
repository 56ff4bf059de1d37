"""Opening the alicloud provider a ``provider "alicloud"`` block names (its entry point's opener)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.providers.alicloud.provider import AlicloudProvider


def open_alicloud(region: str, settings: Mapping[str, Any], directory: Path) -> AlicloudProvider:
    return AlicloudProvider(
        region=region,
        profile=settings.get("profile"),
        endpoint=settings.get("endpoint"),
        vpc_endpoint=settings.get("vpc_endpoint"),
        ecs_role_name=settings.get("ecs_role_name"),
        assume_role=settings.get("assume_role"),
        resource_group_id=settings.get("resource_group_id"),
        encrypted=bool(settings.get("encrypted", False)),
        kms_key_ids=settings.get("kms_key_ids"),
        force_delete=bool(settings.get("force_delete", False)),
        delete_snapshots=bool(settings.get("delete_snapshots", True)),
        snapshot_prices=settings.get("snapshot_prices"),
        # Builds take minutes; tests against the emulator poll faster.
        poll_interval=float(os.environ.get("IMGB_ALICLOUD_POLL_SECONDS", "10")),
        # How long one API call may take to answer; the fault suites shorten it to provoke timeouts.
        read_timeout_ms=int(float(os.environ.get("IMGB_ALICLOUD_READ_TIMEOUT_SECONDS", "30")) * 1000),
    )
