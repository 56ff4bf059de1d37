"""Components and templates: imgb's desired attributes ↔ the SDK's request and response models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alibabacloud_ecs20140526 import models as ecs

from .tagging import MANAGED, from_wire, imgb_tags, user_tags


def _opt(value: Any) -> Any:
    """None for absent or empty values, so the service applies its documented default."""
    return None if value is None or value == "" else value


def component_request(region: str, desired: Mapping[str, Any], token: str,
                      resource_group: str | None = None) -> ecs.CreateImageComponentRequest:
    return ecs.CreateImageComponentRequest(
        region_id=region,
        name=_opt(desired.get("name")),
        component_version=_opt(desired.get("version")),
        component_type=_opt(desired.get("type")) or "Build",
        system_type=_opt(desired.get("system_type")) or "Linux",
        description=_opt(desired.get("description")),
        content=desired.get("content") or "",
        tag=[ecs.CreateImageComponentRequestTag(key=k, value=v) for k, v in imgb_tags(desired).items()],
        resource_group_id=resource_group,
        client_token=token,
    )


def component_attributes(c: Any) -> dict[str, Any]:
    return {
        "id": c.image_component_id,
        "name": c.name,
        "version": c.component_version,
        "type": c.component_type,
        "system_type": c.system_type,
        "description": c.description or "",
        "content": c.content or "",
        "tags": user_tags(from_wire(c.tags)),
    }


def template_request(region: str, desired: Mapping[str, Any], token: str,
                     resource_group: str | None = None) -> ecs.CreateImagePipelineRequest:
    base_image = _opt(desired.get("base_image"))
    family = _opt(desired.get("base_image_family"))
    # A family is sent as such only when no id was resolved from it: then each build takes the
    # family's newest image, as the service documents for IMAGE_FAMILY.
    base_type = "IMAGE" if base_image else "IMAGE_FAMILY"
    # The built images carry imgb:managed from birth, so the region's listing by that tag finds
    # them while they are still Creating (listings.py).
    image_tags = {**{str(k): str(v) for k, v in sorted((desired.get("image_tags") or {}).items())}, MANAGED: "true"}
    options = ecs.CreateImagePipelineRequestImageOptions(
        image_name=_opt(desired.get("image_name")),
        image_family=_opt(desired.get("image_family")),
        description=_opt(desired.get("image_description")),
        image_tags=[ecs.CreateImagePipelineRequestImageOptionsImageTags(key=k, value=v) for k, v in image_tags.items()]
        or None,
        image_features=ecs.CreateImagePipelineRequestImageOptionsImageFeatures(nvme_support=desired["nvme_support"])
        if desired.get("nvme_support") else None,
    )
    disk = desired.get("system_disk_size")
    bandwidth = desired.get("internet_max_bandwidth_out")
    delete_on_failure = desired.get("delete_instance_on_failure")
    # Never ToRegionId / AddAccount: imgb copies and shares itself, so each copy and share is a
    # resource of its own that can be planned, retried and removed.
    return ecs.CreateImagePipelineRequest(
        region_id=region,
        name=_opt(desired.get("name")),
        description=_opt(desired.get("description")),
        base_image_type=base_type,
        base_image=base_image or family,
        build_content=_opt(desired.get("build_content")),
        test_content=_opt(desired.get("test_content")),
        instance_type=_opt(desired.get("instance_type")),
        v_switch_id=_opt(desired.get("vswitch_id")),
        system_disk_size=int(disk) if disk is not None else None,
        internet_max_bandwidth_out=int(bandwidth) if bandwidth is not None else None,
        delete_instance_on_failure=bool(delete_on_failure) if delete_on_failure is not None else None,
        image_options=options,
        repair_mode=_opt(desired.get("repair_mode")),
        tag=[ecs.CreateImagePipelineRequestTag(key=k, value=v) for k, v in imgb_tags(desired).items()],
        resource_group_id=resource_group,
        client_token=token,
    )


def template_attributes(p: Any) -> dict[str, Any]:
    opts = p.image_options
    image_tags = user_tags(from_wire(opts.image_tags)) if opts is not None else {}
    return {
        "id": p.image_pipeline_id,
        "name": p.name,
        "description": p.description or "",
        "base_image_type": p.base_image_type,
        "base_image": p.base_image,
        "build_content": p.build_content or "",
        "test_content": p.test_content or "",
        "instance_type": p.instance_type or "",
        "system_disk_size": p.system_disk_size,
        "internet_max_bandwidth_out": p.internet_max_bandwidth_out,
        "vswitch_id": p.v_switch_id or "",
        "delete_instance_on_failure": p.delete_instance_on_failure,
        "image_name": (opts.image_name if opts is not None else None) or p.image_name or "",
        "image_family": (opts.image_family if opts is not None else None) or p.image_family or "",
        "image_description": (opts.description if opts is not None else None) or "",
        "image_tags": image_tags,
        "tags": user_tags(from_wire(p.tags)),
    }
