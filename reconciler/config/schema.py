"""Which blocks and attributes a configuration may contain, and what type each attribute holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from imgb import plugins

AttrType = Literal[
    "string", "text", "int", "bool", "string_map", "string_list", "any", "reference", "references", "distributions"
]
"""text: command text with a TextOrigin; reference(s): bare references, never evaluated."""


@dataclass(frozen=True)
class Attr:
    """An attribute a block takes."""

    type: AttrType
    required: bool = False


@dataclass(frozen=True)
class BlockSpec:
    """What a block type takes: labels, attributes, nested blocks."""

    labels: tuple[str, ...] = ()
    """What each label means, for messages: ("name",)."""
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: dict[str, BlockSpec] = field(default_factory=dict)
    repeatable: tuple[str, ...] = ()
    """Nested block types that may appear more than once."""
    any_attrs: bool = False
    """locals: every attribute is a definition."""


_META = {"for_each": Attr("any"), "depends_on": Attr("references")}

def provider_spec(ptype: str, env: Mapping[str, str]) -> BlockSpec | None:
    """The ``provider "ptype"`` block as its provider declares it (``imgb/plugins.py``)."""
    kind = plugins.provider_class(ptype, env)
    if kind is None:
        return None
    block = getattr(kind, "block", None)
    if block is None:  # a class from IMGB_PROVIDERS_EXTRA (benchmarks): built with its region alone
        return BlockSpec(attrs={"region": Attr("string", required=True), "alias": Attr("string")})
    spec = block_spec(block)
    return BlockSpec(attrs={"region": Attr("string"), **spec.attrs, "alias": Attr("string")}, blocks=spec.blocks)


def backend_spec(btype: str) -> BlockSpec | None:
    """The ``backend "btype"`` block as its backend declares it."""
    kind = plugins.backend_class(btype)
    return None if kind is None else block_spec(kind.block)


def provider_default(ptype: str, name: str, env: Mapping[str, str]) -> Any:
    """The default its provider declares for ``name`` in a ``provider "ptype"`` block (None: none)."""
    setting = getattr(plugins.provider_class(ptype, env), "block", {}).get(name)
    return None if setting is None else setting.default


def block_spec(settings: Mapping[str, plugins.Setting]) -> BlockSpec:
    return BlockSpec(
        attrs={n: Attr(cast(AttrType, s.type), s.required) for n, s in settings.items() if s.type != "block"},
        blocks={n: block_spec(s.attributes) for n, s in settings.items() if s.type == "block"},
    )


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
