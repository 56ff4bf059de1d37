"""Parameter rules shared by the operations: regions, names, descriptions, tags, resource groups,
pages. Each cites the page it comes from (keys of ``docs.DOCS``)."""

from __future__ import annotations

import base64
import re
from typing import Any

from .errors import ApiError, bad, forbidden, not_found
from .params import Params, get, integer, pairs
from .world import DEFAULT_GROUP, MAX_TAGS, World

NAME_RE = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5:._-]{1,127}$")
IMAGE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9:._-]{1,63}$")


def region(w: World, p: Params) -> str:
    r = get(p, "RegionId")
    if r is None:
        raise bad("MissingParameter.RegionId", 'The input parameter "RegionId" that is mandatory for processing '
                  "this request is not supplied.")
    if r not in w.regions:
        raise not_found("InvalidRegionId.NotFound", f"The specified RegionId {r} does not exist.")
    return r


def tags(p: Params, name: str = "Tag", *, count_code: str = "InvalidTagCount", count_status: int = 400) -> dict[str, str]:
    """Tag.N.Key/Value: N 1–20, keys unique and well formed ([CreateImageComponent] and the other
    creating operations; [TagResources] uses NumberExceed.Tags for the count)."""
    items = pairs(p, name)
    if len(items) > MAX_TAGS:
        raise ApiError(count_status, count_code, "The specified tags are beyond the permitted range.")
    out: dict[str, str] = {}
    for k, v in items:
        if not k or len(k) > 128 or k.startswith(("aliyun", "acs:")) or "http://" in k or "https://" in k:
            raise bad("InvalidTagKey.Malformed", f"The specified Tag.n.Key {k!r} is not valid.")
        if len(v) > 128 or v.startswith("acs:") or "http://" in v or "https://" in v:
            raise bad("InvalidTagValue.Malformed", f"The specified Tag.n.Value for {k!r} is not valid.")
        if k in out:
            raise bad("Duplicate.TagKey", "The Tag.N.Key contain duplicate key.")
        out[k] = v
    return out


def tag_list(t: dict[str, str]) -> dict[str, Any]:
    return {"Tag": [{"TagKey": k, "TagValue": v} for k, v in sorted(t.items())]}


def name(p: Params, key: str = "Name") -> str | None:
    n = get(p, key)
    if n is not None and (not NAME_RE.match(n) or n.startswith(("http://", "https://"))):
        raise bad("InvalidName.Malformed", f"The specified {key} is not valid.")
    return n


def description(p: Params, key: str = "Description") -> None:
    d = get(p, key)
    if d is not None and (not 2 <= len(d) <= 256 or d.startswith(("http://", "https://"))):
        raise bad("InvalidDescription.Malformed", f"The specified {key} is not valid.")


def resource_group(w: World, p: Params) -> str:
    """ResourceGroupId of a creating call. [CopyImage]: "If you call the CopyImage operation as a RAM
    user who does not have the permissions to manage the default resource group and do not specify
    ResourceGroupId, the Forbidden: User not authorized to operate on the specified resource error
    message is returned." The same rule is applied to CreateImageComponent and CreateImagePipeline,
    which take ResourceGroupId too (unverified for them: their pages list only
    InvalidResourceGroup.NotFound)."""
    group = get(p, "ResourceGroupId")
    if group is None:
        if w.default_group_forbidden:
            raise forbidden("Forbidden", "User not authorized to operate on the specified resource.")
        return DEFAULT_GROUP
    if group not in w.resource_groups:
        raise not_found("InvalidResourceGroup.NotFound", "The ResourceGroup provided does not exist in our records.")
    return group


def page_by_token(items: list[Any], p: Params) -> tuple[list[Any], str, int]:
    """NextToken/MaxResults (1–500, default 50) as the Image Builder Describe* pages document."""
    size = integer(p, "MaxResults", 50) or 50
    if not 1 <= size <= 500:
        raise bad("InvalidParameter.MaxResults", "MaxResults must be between 1 and 500.")
    token = get(p, "NextToken")
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token.encode()).decode().removeprefix("off:"))
        except ValueError:
            raise forbidden("Invalid.NextToken", "The specified NextToken is not valid.") from None
    page = items[start:start + size]
    nxt = base64.b64encode(f"off:{start + size}".encode()).decode() if start + size < len(items) else ""
    return page, nxt, size


def page_by_number(items: list[Any], p: Params, max_size: int = 100, default: int = 10) -> tuple[list[Any], int, int]:
    """PageNumber (≥ 1) / PageSize (≤ max_size) as DescribeImages and DescribeImageSharePermission
    document."""
    number = integer(p, "PageNumber", 1) or 1
    size = integer(p, "PageSize", default) or default
    if number < 1 or not 1 <= size <= max_size:
        raise bad("InvalidParameter", "PageNumber or PageSize is not valid.")
    return items[(number - 1) * size:number * size], number, size


def filter_tags(objs: list[Any], p: Params) -> list[Any]:
    want = pairs(p, "Tag")
    return [o for o in objs if all(o.tags.get(k) == v for k, v in want)]
