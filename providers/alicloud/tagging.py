"""The tags imgb puts on everything it makes, merged with the user's, within Alibaba's 20 per resource."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from imgb.providers.base import ProviderError

MANAGED = "imgb:managed"
HASH = "imgb:hash"
ADDRESS = "imgb:address"
RESERVED = (MANAGED, HASH, ADDRESS)
MAX_TAGS = 20
"""Custom tags per resource (ECS limits; CreateImageComponent & co. take Tag.N with N 1–20, and
TagResources refuses to go beyond 20 on a resource). imgb's own three count: users get 17."""
USER_TAGS = MAX_TAGS - len(RESERVED)


def desired_hash(desired: Mapping[str, Any]) -> str:
    """A short stable hash of the desired attributes, when the engine gives no content hash."""
    data = {k: v for k, v in desired.items() if k not in ("tags", "context_dir", "address")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def imgb_tags(desired: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    """User tags (``tags`` and ``extra``), then imgb's own, which win over user keys of the same name.
    More than 20 in all is refused here, before a request the service would refuse anyway."""
    tags = {str(k): str(v) for k, v in sorted((desired.get("tags") or {}).items())}
    tags.update({str(k): str(v) for k, v in sorted((extra or {}).items())})
    tags[MANAGED] = "true"
    tags[HASH] = str(desired.get("content_hash") or desired_hash(desired))
    if desired.get("address"):
        tags[ADDRESS] = str(desired["address"])
    if len(tags) > MAX_TAGS:
        own = sorted(k for k in tags if k not in RESERVED)
        raise ProviderError(
            "InvalidTagCount",
            f"{len(own)} user tags plus imgb's own {len(tags) - len(own)} ({', '.join(k for k in RESERVED if k in tags)}) "
            f"make {len(tags)} tags; Alibaba Cloud allows {MAX_TAGS} per resource. Remove some of: {', '.join(own)}.",
        )
    return dict(sorted(tags.items()))


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(tags.items()) if k not in RESERVED}


def from_wire(tag_set: Any) -> dict[str, str]:
    """``Tags.Tag[{TagKey, TagValue}]`` (a response model or None) as a dict."""
    items = getattr(tag_set, "tag", None) or getattr(tag_set, "image_tag", None) or []
    return {t.tag_key: t.tag_value or "" for t in items if t.tag_key}
