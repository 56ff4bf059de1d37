"""Which provider implementation serves a ``provider`` block (Terraform's backend/init map)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from imgb.fsops import ALLOW_PATHS_ENV, allowed_outside
from imgb.providers.base import Provider
from imgb.reconciler.config.model import ProviderConfig
from imgb.reconciler.config.schema import extra_providers


def default_local_root() -> Path:
    from imgb.providers.local.provider import default_root

    return default_root()


def local_root(cfg: ProviderConfig, config_dir: Path) -> Path:
    """The store of a local provider block: its ``root`` (relative to the configuration
    directory), which may not lead out of that directory unless the operator allows the place
    (IMGB_ALLOW_PATHS or -allow-path); without ``root``, the operator's default store."""
    root = cfg.attrs.get("root")
    if not root:
        return default_local_root()
    path = (config_dir / str(root)).resolve()
    if not allowed_outside(path, config_dir):
        raise ValueError(
            f'root "{root}" is {path}, outside the configuration directory. A configuration may not choose '
            "another store (a pull request could read its private images or plant images in it). Use a "
            f"directory inside the configuration directory, or the operator allows this one with "
            f"{ALLOW_PATHS_ENV}={path} or -allow-path={path}")
    return path


def open_provider(cfg: ProviderConfig, config_dir: Path) -> Provider:
    if cfg.type == "local":
        from imgb.providers.local.provider import LocalProvider

        return LocalProvider(root=local_root(cfg, config_dir), region=cfg.region)
    if cfg.type == "alicloud":
        from imgb.providers.alicloud.provider import AlicloudProvider

        a = cfg.attrs
        return AlicloudProvider(
            region=cfg.region,
            profile=a.get("profile"),
            endpoint=a.get("endpoint"),
            vpc_endpoint=a.get("vpc_endpoint"),
            ecs_role_name=a.get("ecs_role_name"),
            assume_role=a.get("assume_role"),
            resource_group_id=a.get("resource_group_id"),
            encrypted=bool(a.get("encrypted", False)),
            kms_key_ids=a.get("kms_key_ids"),
            force_delete=bool(a.get("force_delete", False)),
            delete_snapshots=bool(a.get("delete_snapshots", True)),
            snapshot_prices=a.get("snapshot_prices"),
            # Builds take minutes; tests against the emulator poll faster.
            poll_interval=float(os.environ.get("IMGB_ALICLOUD_POLL_SECONDS", "10")),
            # How long one API call may take to answer; the fault suites shorten it to provoke timeouts.
            read_timeout_ms=int(float(os.environ.get("IMGB_ALICLOUD_READ_TIMEOUT_SECONDS", "30")) * 1000),
        )
    extra = extra_providers(os.environ).get(cfg.type)
    if extra is not None:
        # Benchmarks and tests only (IMGB_PROVIDERS_EXTRA): the class is built with the home region.
        module, _, name = extra.partition(":")
        cls = getattr(importlib.import_module(module), name)
        provider: Provider = cls(region=cfg.region)
        return provider
    raise ValueError(f"unknown provider type {cfg.type!r}")
