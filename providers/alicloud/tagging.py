"""The tags imgb puts on everything it makes, merged with the user's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

MANAGED = "imgb:managed"
HASH = "imgb:hash"
ADDRESS = "imgb:address"
RESERVED = (MANAGED, HASH, ADDRESS)


def desired_hash(desired: Mapping[str, Any]) -> str:
    """A short stable hash of the desired attributes, when the engine gives no content hash."""
    data = {k: v for k, v in desired.items() if k not in ("tags", "context_dir", "address")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def imgb_tags(desired: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    """User tags (``tags`` and ``extra``), then imgb's own, which win over user keys of the same name."""
    tags = {str(k): str(v) for k, v in sorted((desired.get("tags") or {}).items())}
    tags.update({str(k): str(v) for k, v in sorted((extra or {}).items())})
    tags[MANAGED] = "true"
    tags[HASH] = str(desired.get("content_hash") or desired_hash(desired))
    if desired.get("address"):
        tags[ADDRESS] = str(desired["address"])
    return dict(sorted(tags.items()))


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(tags.items()) if k not in RESERVED}


def from_wire(tag_set: Any) -> dict[str, str]:
    """``Tags.Tag[{TagKey, TagValue}]`` (a response model or None) as a dict."""
    items = getattr(tag_set, "tag", None) or getattr(tag_set, "image_tag", None) or []
    return {t.tag_key: t.tag_value or "" for t in items if t.tag_key}
