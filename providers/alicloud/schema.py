"""What the alicloud provider declares (its ``imgb.providers`` entry point): the provider block, the
attributes and limits of its kinds. Plain data, without Alibaba's SDK: the loader, the checks, the
differ and the scheduler read it without loading the provider."""

from __future__ import annotations

from imgb.addresses import Kind
from imgb.plugins import Setting
from imgb.providers.base import KindSchema, Limits, ProviderSchema, ProviderType

COMPONENT_ATTRS = frozenset({"name", "version", "type", "system_type", "description", "content", "tags"})
TEMPLATE_ATTRS = frozenset({
    "name", "description", "base_image", "base_image_family", "build_content", "test_content", "instance_type",
    "system_disk_size", "internet_max_bandwidth_out", "vswitch_id", "delete_instance_on_failure", "image_name",
    "image_family", "image_description", "image_tags", "tags",
})

SCHEMA = ProviderSchema(
    kinds={
        Kind.COMPONENT: KindSchema(force_new=COMPONENT_ATTRS, computed=frozenset({"id"})),
        Kind.TEMPLATE: KindSchema(force_new=TEMPLATE_ATTRS, computed=frozenset({"id"})),
        Kind.IMAGE: KindSchema(
            force_new=frozenset({"template_id", "content_hash"}),
            computed=frozenset({"id", "region", "status", "size", "execution_id", "name", "snapshot_ids"}),
            long_running=True,
        ),
        Kind.COPY: KindSchema(
            force_new=frozenset({"source_image_id", "source_region", "region", "content_hash"}),
            computed=frozenset({"id", "name", "snapshot_ids"}),
            long_running=True,
        ),
        Kind.SHARE: KindSchema(force_new=frozenset({"image_id", "region", "account"}), computed=frozenset({"id"})),
    },
    # Image Builder's documented limits (reference §1): 5 copies into one region at once, 20
    # distribution regions and 20 accounts per template, 127 commands per content.
    limits=Limits(builds_per_template=1, copies_per_region=5, regions_per_template=20, accounts_per_template=20,
                  commands_per_content=127),
)


PROVIDER = ProviderType(
    block={
        "region": Setting("string", required=True),
        "profile": Setting("string"),
        "endpoint": Setting("string"),
        "vpc_endpoint": Setting("string"),
        "ecs_role_name": Setting("string"),
        "resource_group_id": Setting("string"),
        "encrypted": Setting("bool"),
        "kms_key_ids": Setting("string_map"),
        "force_delete": Setting("bool"),
        "delete_snapshots": Setting("bool"),
        "snapshot_prices": Setting("string_map", doc="snapshot price per GiB-month by region (or \"*\"), over the built-in table"),
        "assume_role": Setting(
            "block",
            attributes={
                "role_arn": Setting("string", required=True),
                "session_name": Setting("string"),
                "external_id": Setting("string"),
                "duration": Setting("int"),
                "policy": Setting("string"),
                "sts_region": Setting("string"),
            },
        ),
    },
    schema=SCHEMA,
    opener="imgb.providers.alicloud.open:open_alicloud",
)
