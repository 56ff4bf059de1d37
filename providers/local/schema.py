"""What the local provider declares (its ``imgb.providers`` entry point): the provider block, the
attributes and limits of its kinds, and where its store is. Plain data: the loader, the checks,
the differ and the scheduler read it without loading the provider."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.addresses import Kind
from imgb.fsops import ALLOW_PATHS_ENV, allowed_outside
from imgb.plugins import Setting
from imgb.providers.base import KindSchema, Limits, ProviderSchema, ProviderType

COMPONENT_IN = ("name", "version", "type", "system_type", "description", "content", "tags")
TEMPLATE_IN = (
    "name", "description", "base_image", "build_content", "test_content", "instance_type", "system_disk_size",
    "internet_max_bandwidth_out", "vswitch_id", "delete_instance_on_failure", "image_name", "image_family",
    "image_description", "image_tags", "tags",
)
IMAGE_IN = ("template_id", "content_hash", "image_name", "image_family", "image_tags", "tags")
COPY_IN = ("source_image_id", "source_region", "region", "image_name", "content_hash", "tags")
SHARE_IN = ("image_id", "region", "account")


def _immutable(inputs: tuple[str, ...], computed: tuple[str, ...], long: bool = False) -> KindSchema:
    return KindSchema(force_new=frozenset(inputs), computed=frozenset(computed), long_running=long)


SCHEMA = ProviderSchema(
    kinds={
        Kind.COMPONENT: _immutable(COMPONENT_IN, ("id",)),
        Kind.TEMPLATE: _immutable(TEMPLATE_IN, ("id",)),
        Kind.IMAGE: _immutable(IMAGE_IN, ("id", "region", "status", "size", "execution_id"), True),
        Kind.COPY: _immutable(COPY_IN, ("id",), True),
        Kind.SHARE: _immutable(SHARE_IN, ("id",)),
    },
    # Local builds run Image Builder's command language, so a configuration that builds here
    # builds on Alibaba Cloud too: the same limits.
    limits=Limits(builds_per_template=1, regions_per_template=20, accounts_per_template=20, commands_per_content=127),
)


def default_root() -> Path:
    """$IMGB_HOME, else $XDG_DATA_HOME/imgb, else /var/lib/imgb as root or ~/.local/share/imgb."""
    if os.environ.get("IMGB_HOME"):
        return Path(os.environ["IMGB_HOME"])
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]) / "imgb"
    if os.geteuid() == 0:
        return Path("/var/lib/imgb")
    return Path.home() / ".local" / "share" / "imgb"


def store_root(settings: Mapping[str, Any], directory: Path) -> Path:
    """The store a ``provider "local"`` block names: ``root``, relative to the configuration
    directory, which may not lead out of that directory unless the operator allows the place
    (IMGB_ALLOW_PATHS or -allow-path); without ``root``, the operator's default store."""
    root = settings.get("root")
    if not root:
        return default_root()
    path = (directory / str(root)).resolve()
    if not allowed_outside(path, directory):
        raise ValueError(
            f'root "{root}" is {path}, outside the configuration directory. A configuration may not choose '
            "another store (a pull request could read its private images or plant images in it). Use a "
            f"directory inside the configuration directory, or the operator allows this one with "
            f"{ALLOW_PATHS_ENV}={path} or -allow-path={path}")
    return path


PROVIDER = ProviderType(
    block={
        "region": Setting("string", default="local-1", doc="the home region"),
        "root": Setting("string", doc="the store directory, relative to the configuration directory"),
    },
    schema=SCHEMA,
    opener="imgb.providers.local.open:open_local",
)
