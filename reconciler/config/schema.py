"""Which blocks and attributes a configuration may contain, and what type each attribute holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

AttrType = Literal[
    "string", "text", "int", "bool", "string_map", "string_list", "any", "reference", "references", "distributions"
]
"""text: command text with a TextOrigin; reference(s): bare references, never evaluated."""


@dataclass(frozen=True)
class Attr:
    type: AttrType
    required: bool = False


@dataclass(frozen=True)
class BlockSpec:
    labels: tuple[str, ...] = ()
    """What each label means, for messages: ("name",)."""
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: dict[str, BlockSpec] = field(default_factory=dict)
    repeatable: tuple[str, ...] = ()
    """Nested block types that may appear more than once."""
    any_attrs: bool = False
    """locals: every attribute is a definition."""


_META = {"for_each": Attr("any"), "depends_on": Attr("references")}

BACKENDS = {
    "local": BlockSpec(attrs={"path": Attr("string")}),
    "pg": BlockSpec(attrs={"conn_str": Attr("string"), "schema_name": Attr("string")}),
}

PROVIDERS = {
    "local": BlockSpec(attrs={"root": Attr("string"), "region": Attr("string"), "alias": Attr("string")}),
    "alicloud": BlockSpec(
        attrs={
            "region": Attr("string", required=True),
            "profile": Attr("string"),
            "endpoint": Attr("string"),
            "vpc_endpoint": Attr("string"),
            "ecs_role_name": Attr("string"),
            "resource_group_id": Attr("string"),
            "encrypted": Attr("bool"),
            "kms_key_ids": Attr("string_map"),
            "force_delete": Attr("bool"),
            "delete_snapshots": Attr("bool"),
            "snapshot_prices": Attr("string_map"),
            "alias": Attr("string"),
        },
        blocks={
            "assume_role": BlockSpec(
                attrs={
                    "role_arn": Attr("string", required=True),
                    "session_name": Attr("string"),
                    "external_id": Attr("string"),
                    "duration": Attr("int"),
                    "policy": Attr("string"),
                    "sts_region": Attr("string"),
                }
            )
        },
    ),
}

EXTRA_PROVIDERS_ENV = "IMGB_PROVIDERS_EXTRA"
"""Out-of-tree provider types, for benchmarks and tests: ``type=module:Class`` entries separated by
commas (``sleep=bench.sleep_provider:SleepProvider``). Not a plugin system for users."""

_EXTRA_SPEC = BlockSpec(attrs={"region": Attr("string", required=True), "alias": Attr("string")})


def extra_providers(env: Mapping[str, str]) -> dict[str, str]:
    """Provider type -> ``module:Class`` from ``IMGB_PROVIDERS_EXTRA`` (malformed entries are skipped)."""
    out: dict[str, str] = {}
    for entry in env.get(EXTRA_PROVIDERS_ENV, "").split(","):
        ptype, sep, target = entry.strip().partition("=")
        if sep and ptype and ":" in target:
            out[ptype.strip()] = target.strip()
    return out


def provider_spec(ptype: str, env: Mapping[str, str]) -> BlockSpec | None:
    if ptype in PROVIDERS:
        return PROVIDERS[ptype]
    return _EXTRA_SPEC if ptype in extra_providers(env) else None


TOP = {
    "imgb": BlockSpec(
        attrs={"required_version": Attr("string"), "policy_paths": Attr("string_list")},
        blocks={"backend": BlockSpec(labels=("type",), attrs={}, any_attrs=True)},
    ),
    "provider": BlockSpec(labels=("type",), any_attrs=True),
    "variable": BlockSpec(
        labels=("name",),
        attrs={
            "type": Attr("any"),
            "default": Attr("any"),
            "description": Attr("string"),
            "sensitive": Attr("bool"),
            "nullable": Attr("bool"),
        },
        blocks={
            "validation": BlockSpec(
                attrs={"condition": Attr("any", required=True), "error_message": Attr("string", required=True)}
            )
        },
        repeatable=("validation",),
    ),
    "locals": BlockSpec(any_attrs=True),
    "component": BlockSpec(
        labels=("name",),
        attrs={
            **_META,
            "provider": Attr("reference"),
            "version": Attr("string"),
            "type": Attr("string"),
            "system_type": Attr("string"),
            "description": Attr("string"),
            "content": Attr("text", required=True),
            "tags": Attr("string_map"),
        },
    ),
    "template": BlockSpec(
        labels=("name",),
        attrs={
            **_META,
            "provider": Attr("reference"),
            "description": Attr("string"),
            "base_image": Attr("string"),
            "base_image_family": Attr("string"),
            "build": Attr("text"),
            "test": Attr("text"),
            "instance_type": Attr("string"),
            "system_disk_size": Attr("int"),
            "internet_max_bandwidth_out": Attr("int"),
            "vswitch_id": Attr("string"),
            "delete_instance_on_failure": Attr("bool"),
            "image_name": Attr("string"),
            "image_family": Attr("string"),
            "image_description": Attr("string"),
            "image_tags": Attr("string_map"),
            "distribute": Attr("distributions"),
            "retain": Attr("int"),
            "tags": Attr("string_map"),
        },
    ),
    "distribution": BlockSpec(
        labels=("name",),
        attrs={**_META, "regions": Attr("string_list"), "accounts": Attr("string_list")},
    ),
    "output": BlockSpec(
        labels=("name",),
        attrs={"value": Attr("any", required=True), "description": Attr("string"), "sensitive": Attr("bool")},
    ),
    # Refactoring in code, reviewed in the plan (Terraform's moved, removed and import blocks).
    "moved": BlockSpec(attrs={"from": Attr("reference", required=True), "to": Attr("reference", required=True)}),
    "removed": BlockSpec(
        attrs={"from": Attr("reference", required=True)},
        blocks={"lifecycle": BlockSpec(attrs={"destroy": Attr("bool")})},
    ),
    "import": BlockSpec(attrs={"to": Attr("reference", required=True), "id": Attr("string", required=True)}),
}

REFACTOR_BLOCKS = ("moved", "removed", "import")
"""Unlabeled top-level blocks that may appear any number of times."""

ENUMS = {
    ("component", "type"): ("Build", "Test"),
    ("component", "system_type"): ("Linux", "Windows"),
}

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]*"
