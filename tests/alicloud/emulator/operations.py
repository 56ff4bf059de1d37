"""The documented operations, one function each: (world, params, now) → response body."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from . import content
from .errors import ApiError, bad, forbidden, not_found
from .params import Params, boolean, get, integer, listed, pairs, require
from .world import ACCOUNT_ID, TERMINAL, Component, Execution, Image, Pipeline, World, iso

Handler = Callable[[World, Params, float], dict[str, Any]]

_NAME_RE = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5:._-]{1,127}$")
_IMAGE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9:._-]{1,63}$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_ACCOUNT_RE = re.compile(r"^\d{1,20}$")
IMAGE_STATUSES = ("Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated")


def _region(w: World, p: Params) -> str:
    region = require(p, "RegionId")
    if region not in w.regions:
        raise not_found("InvalidRegionId.NotFound", f"The specified RegionId {region} does not exist.")
    return region


def _tags(p: Params, name: str = "Tag") -> dict[str, str]:
    items = pairs(p, name)
    if len(items) > 20:
        raise bad("InvalidTagCount", "The number of tags exceeds 20.")
    tags: dict[str, str] = {}
    for k, v in items:
        if not k or len(k) > 128 or k.startswith(("aliyun", "acs:")) or "http://" in k or "https://" in k:
            raise bad("InvalidTagKey.Malformed", f"The tag key {k!r} is not valid.")
        if len(v) > 128 or v.startswith("acs:") or "http://" in v or "https://" in v:
            raise bad("InvalidTagValue.Malformed", f"The tag value for {k!r} is not valid.")
        if k in tags:
            raise bad("Duplicate.TagKey", f"The tag key {k!r} is duplicated.")
        tags[k] = v
    return tags


def _tag_list(tags: dict[str, str]) -> dict[str, Any]:
    return {"Tag": [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]}


def _name(p: Params, key: str = "Name") -> str | None:
    name = get(p, key)
    if name is not None and (not _NAME_RE.match(name) or name.startswith(("http://", "https://"))):
        raise bad("InvalidName.Malformed", f"The specified {key} is not valid.")
    return name


def _description(p: Params, key: str = "Description") -> None:
    d = get(p, key)
    if d is not None and (not 2 <= len(d) <= 256 or d.startswith(("http://", "https://"))):
        raise bad("InvalidDescription.Malformed", f"The specified {key} is not valid.")


def _page_by_token(items: list[Any], p: Params) -> tuple[list[Any], str, int]:
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


def _page_by_number(items: list[Any], p: Params, max_size: int = 100, default: int = 10) -> tuple[list[Any], int, int]:
    number = integer(p, "PageNumber", 1) or 1
    size = integer(p, "PageSize", default) or default
    if number < 1 or not 1 <= size <= max_size:
        raise bad("InvalidParameter", "PageNumber or PageSize is not valid.")
    return items[(number - 1) * size:number * size], number, size


def _filter_tags(objs: list[Any], p: Params) -> list[Any]:
    want = pairs(p, "Tag")
    return [o for o in objs if all(o.tags.get(k) == v for k, v in want)]


# -- components ----------------------------------------------------------------------------------

def create_image_component(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    name = _name(p)
    _description(p)
    if get(p, "SystemType", "Linux") not in ("Linux", "Windows"):
        raise bad("InvalidSystemType.NotSupportedValue", "SystemType must be Linux or Windows.")
    if get(p, "ComponentType", "Build") not in ("Build", "Test"):
        raise bad("InvalidComponentType.NotSupportedValue", "ComponentType must be Build or Test.")
    text = get(p, "Content")
    if text is None:
        raise bad("MissingParameter.Content", 'The input parameter "Content" is not supplied.')
    content.check(text, template=False, length_code="InvalidContent.LengthExceeded")
    tags = _tags(p)
    version = get(p, "ComponentVersion")
    same_name = [c for c in w.components.values() if c.region == region and name and c.params.get("Name") == name]
    if version is None:
        top = max((int(c.params["ComponentVersion"].split(".")[0]) for c in same_name), default=0)
        version = f"{top + 1}.0.0"
    elif not _VERSION_RE.match(version):
        raise bad("InvalidParameter.ComponentVersion", "ComponentVersion must be major.minor.patch.")
    if any(c.params.get("ComponentVersion") == version for c in same_name):
        raise forbidden("InvalidComponentVersion.Exist", f"The version {version} of component {name} already exists.")
    cid = w.new_id("ic")
    params = dict(p, ComponentVersion=version)
    params.setdefault("Name", cid)
    w.components[cid] = Component(cid, region, params, tags, now)
    w.record("component", cid, region)
    return {"ImageComponentId": cid}


def _component_view(c: Component) -> dict[str, Any]:
    prm = c.params
    return {
        "ImageComponentId": c.id, "Name": prm.get("Name", c.id), "ComponentVersion": prm["ComponentVersion"],
        "ComponentType": prm.get("ComponentType", "Build"), "SystemType": prm.get("SystemType", "Linux"),
        "Owner": "SELF", "Content": prm.get("Content", ""), "Description": prm.get("Description", ""),
        "CreationTime": iso(c.created), "ResourceGroupId": "", "Tags": _tag_list(c.tags),
        "Parameters": {"Parameter": []},
    }


def describe_image_components(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    ids = listed(p, "ImageComponentId")
    if len(ids) > 20:
        raise bad("InvalidImageComponentIdSize.ExceededMaxNumber", "At most 20 ImageComponentId values.")
    items = [c for c in w.components.values() if c.region == region]
    if ids:
        items = [c for c in items if c.id in ids]
    if name := get(p, "Name"):
        items = [c for c in items if c.params.get("Name") == name]
    items = sorted(_filter_tags(items, p), key=lambda c: (c.created, c.id))
    page, nxt, size = _page_by_token(items, p)
    return {"TotalCount": len(items), "MaxResults": size, "NextToken": nxt,
            "ImageComponent": {"ImageComponentSet": [_component_view(c) for c in page]}}


def delete_image_component(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    cid = require(p, "ImageComponentId")
    comp = w.components.get(cid)
    if comp is None or comp.region != region:
        raise not_found("InvalidImageComponent.NotFound", f"The image component {cid} does not exist.")
    if any(cid in pl.component_ids for pl in w.pipelines.values()):
        raise forbidden("InvalidImageComponent.InUse", "The image component is used by the image pipeline.")
    del w.components[cid]
    return {}


# -- templates (image pipelines) -----------------------------------------------------------------

def create_image_pipeline(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    _name(p)
    _description(p)
    base_type = require(p, "BaseImageType")
    if base_type not in ("IMAGE", "IMAGE_FAMILY", "OSS"):
        raise bad("InvalidBaseImageType.NotSupportedValue", "BaseImageType must be IMAGE, IMAGE_FAMILY or OSS.")
    base = get(p, "BaseImage")
    if base_type == "IMAGE" and (base is None or (region, base) not in w.images):
        raise not_found("InvalidImage.NotFound", f"The specified image {base} does not exist.")
    if base_type == "IMAGE_FAMILY" and not any(i.family == base and i.region == region for i in w.images.values()):
        raise not_found("InvalidImage.NotFound", f"The image family {base} has no image.")
    disk = integer(p, "SystemDiskSize", 40) or 40
    if not 20 <= disk <= 500:
        raise bad("InvalidSystemDiskSize.NotSupportedValue", "SystemDiskSize must be between 20 and 500.")
    bandwidth = integer(p, "InternetMaxBandwidthOut", 0) or 0
    if not 0 <= bandwidth <= 100:
        raise bad("InvalidInternetMaxBandwidthOut.NotSupportedValue", "InternetMaxBandwidthOut must be 0–100.")
    boolean(p, "DeleteInstanceOnFailure", True)
    if len(listed(p, "ToRegionId")) > 20:
        raise bad("InvalidToRegionIdSize.ExceededMaxNumber", "At most 20 ToRegionId values.")
    if len(listed(p, "AddAccount")) > 20:
        raise bad("InvalidAddAccountSize.ExceededMaxNumber", "At most 20 AddAccount values.")
    image_name = get(p, "ImageOptions.ImageName")
    if image_name is not None and not _IMAGE_NAME_RE.match(image_name):
        raise bad("InvalidImageName.Malformed", "ImageOptions.ImageName is not valid.")
    itype = get(p, "InstanceType")
    if itype is not None and itype not in w.instance_types[region]:
        raise not_found("InvalidInstanceType.NotFound", f"The instance type {itype} does not exist.")
    vsw = get(p, "VSwitchId")
    if vsw is not None and vsw not in w.vswitches[region]:
        raise not_found("InvalidVSwitchId.NotFound", f"The vSwitch {vsw} does not exist.")
    refs: list[str] = []
    for key, code in (("BuildContent", "InvalidBuildContent.LengthExceeded"), ("TestContent", "InvalidBuildContent.LengthExceeded")):
        if (text := get(p, key)) is not None:
            refs += content.check(text, template=True, length_code=code)
    known: dict[str, object] = {k: c for k, c in w.components.items() if c.region == region}
    ids = content.resolve_refs(refs, known)
    tags = _tags(p)
    _tags(p, "ImageOptions.ImageTags")
    pid = w.new_id("ip")
    params = dict(p)
    params.setdefault("Name", pid)
    w.pipelines[pid] = Pipeline(pid, region, params, tags, now, ids)
    w.record("template", pid, region)
    return {"ImagePipelineId": pid}


def _pipeline_view(pl: Pipeline) -> dict[str, Any]:
    prm = pl.params
    return {
        "ImagePipelineId": pl.id, "Name": prm.get("Name"), "Description": prm.get("Description", ""),
        "CreationTime": iso(pl.created), "ResourceGroupId": "", "BaseImageType": prm.get("BaseImageType"),
        "BaseImage": prm.get("BaseImage"), "BuildContent": prm.get("BuildContent", ""),
        "TestContent": prm.get("TestContent", ""), "VSwitchId": prm.get("VSwitchId", ""),
        "InstanceType": prm.get("InstanceType", ""), "SystemDiskSize": int(prm.get("SystemDiskSize") or 40),
        "InternetMaxBandwidthOut": int(prm.get("InternetMaxBandwidthOut") or 0),
        "DeleteInstanceOnFailure": prm.get("DeleteInstanceOnFailure", "true").lower() == "true",
        "ImageName": prm.get("ImageOptions.ImageName", prm.get("ImageName", "")),
        "ImageFamily": prm.get("ImageOptions.ImageFamily", prm.get("ImageFamily", "")),
        "ImageOptions": {
            "ImageName": prm.get("ImageOptions.ImageName", ""), "ImageFamily": prm.get("ImageOptions.ImageFamily", ""),
            "Description": prm.get("ImageOptions.Description", ""),
            "ImageFeatures": {"NvmeSupport": prm.get("ImageOptions.ImageFeatures.NvmeSupport", "")},
            "ImageTags": {"ImageTag": [{"TagKey": k, "TagValue": v} for k, v in pairs(prm, "ImageOptions.ImageTags")]},
        },
        "RepairMode": prm.get("RepairMode", ""),
        "Tags": _tag_list(pl.tags),
        "AddAccounts": {"AddAccount": listed(prm, "AddAccount")},
        "ToRegionIds": {"ToRegionId": listed(prm, "ToRegionId")},
    }


def describe_image_pipelines(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    ids = listed(p, "ImagePipelineId")
    if len(ids) > 20:
        raise bad("InvalidImagePipelineIdSize.ExceededMaxNumber", "At most 20 ImagePipelineId values.")
    items = [pl for pl in w.pipelines.values() if pl.region == region]
    if ids:
        items = [pl for pl in items if pl.id in ids]
    if name := get(p, "Name"):
        items = [pl for pl in items if pl.params.get("Name") == name]
    items = sorted(_filter_tags(items, p), key=lambda pl: (pl.created, pl.id))
    page, nxt, size = _page_by_token(items, p)
    return {"TotalCount": len(items), "MaxResults": size, "NextToken": nxt,
            "ImagePipeline": {"ImagePipelineSet": [_pipeline_view(pl) for pl in page]}}


def _running(w: World, pipeline_id: str) -> Execution | None:
    return next((e for e in w.executions.values() if e.pipeline_id == pipeline_id and e.status not in TERMINAL), None)


def delete_image_pipeline(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    pid = require(p, "ImagePipelineId")
    pl = w.pipelines.get(pid)
    if pl is None or pl.region != region:
        raise not_found("InvalidImagePipeline.NotFound", f"The image pipeline {pid} does not exist.")
    if _running(w, pid):
        raise forbidden("InvalidImagePipeline.HasRunningExecution", "The image pipeline has a running execution.")
    del w.pipelines[pid]
    # Deleting a template deletes its execution records (reference §3.6).
    for eid in [e.id for e in w.executions.values() if e.pipeline_id == pid]:
        del w.executions[eid]
    return {}


# -- executions ----------------------------------------------------------------------------------

def start_image_pipeline_execution(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    pid = require(p, "ImagePipelineId")
    pl = w.pipelines.get(pid)
    if pl is None or pl.region != region:
        raise not_found("InvalidImagePipeline.NotFound", f"The image pipeline {pid} does not exist.")
    if _running(w, pid):
        raise forbidden("InvalidImagePipeline.HasRunningExecution", "The image pipeline has a running execution.")
    base = pl.params.get("BaseImage", "")
    if pl.params.get("BaseImageType") == "IMAGE" and (region, base) not in w.images:
        raise not_found("InvalidImagePipeline.BaseImageNotFound", f"The base image {base} does not exist.")
    for cid in pl.component_ids:
        if cid not in w.components:
            raise not_found("ImageComponent.NotFound", f"The image component {cid} does not exist.")
    ex = w.start_execution(pl, now, _tags(p))
    w.record("execution", ex.id, region)
    return {"ExecutionId": ex.id}


def _execution_view(ex: Execution) -> dict[str, Any]:
    return {
        "ExecutionId": ex.id, "ImagePipelineId": ex.pipeline_id, "Status": ex.status, "ImageId": ex.image_id,
        "Message": ex.message, "ErrorCode": ex.error_code, "ErrorInfo": ex.error_info,
        "CreationTime": iso(ex.created), "ModifiedTime": iso(ex.modified), "ResourceGroupId": "",
        "Tags": _tag_list(ex.tags),
    }


_EXECUTION_STATUSES = {"PREPARING", "REPAIRING", "BUILDING", "TESTING", "DISTRIBUTING", "RELEASING", "SUCCESS",
                       "PARTITION_SUCCESS", "FAILED", "TEST_FAILED", "CANCELLING", "CANCELLED"}


def describe_image_pipeline_executions(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    pid, eid = get(p, "ImagePipelineId"), get(p, "ExecutionId")
    if pid is None and eid is None:
        raise bad("MissingParameter.ImagePipelineId", "ImagePipelineId or ExecutionId is required.")
    statuses = {s for s in (get(p, "Status") or "").split(",") if s}
    if statuses - _EXECUTION_STATUSES:
        raise bad("InvalidParameter.Status", "The specified Status is not valid.")
    if pid is not None and eid is None and (pid not in w.pipelines or w.pipelines[pid].region != region):
        raise not_found("InvalidImagePipeline.NotFound", f"The image pipeline {pid} does not exist.")
    items = [e for e in w.executions.values() if e.region == region and (pid is None or e.pipeline_id == pid)
             and (eid is None or e.id == eid) and (not statuses or e.status in statuses)]
    items = sorted(_filter_tags(items, p), key=lambda e: (e.created, e.id))
    page, nxt, size = _page_by_token(items, p)
    return {"TotalCount": len(items), "MaxResults": size, "NextToken": nxt,
            "ImagePipelineExecution": {"ImagePipelineExecutionSet": [_execution_view(e) for e in page]}}


def cancel_image_pipeline_execution(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    eid = require(p, "ExecutionId")
    ex = w.executions.get(eid)
    if ex is None or ex.region != region:
        raise not_found("InvalidImagePipelineExecution.NotFound", f"The execution {eid} does not exist.")
    if ex.status in TERMINAL:
        raise bad("InvalidStatus.CancelFailed", "The execution status is success, failed or cancelled.")
    if ex.status not in ("PREPARING", "REPAIRING", "BUILDING"):
        raise forbidden("InvalidStatus.ImagePipelineExecution", f"An execution in {ex.status} cannot be cancelled.")
    w.cancel_execution(ex, now)
    return {}


# -- images --------------------------------------------------------------------------------------

def _image(w: World, region: str, image_id: str) -> Image:
    img = w.images.get((region, image_id))
    if img is None:
        raise not_found("InvalidImageId.NotFound", f"The specified ImageId {image_id} does not exist.")
    return img


def _image_view(i: Image) -> dict[str, Any]:
    return {
        "ImageId": i.id, "ImageName": i.name, "ImageFamily": i.family, "Status": i.status, "Progress": i.progress,
        "CreationTime": iso(i.created), "Size": i.size, "ImageOwnerAlias": i.owner_alias,
        "ImageOwnerId": 0 if i.owner_alias == "system" else int(ACCOUNT_ID), "IsCopied": i.copy_source is not None,
        "IsSelfShared": "True" if i.shared_with else "False", "IsPublic": i.owner_alias == "system",
        "OSType": "linux", "Platform": "Ubuntu", "Architecture": "x86_64", "Description": i.description,
        "Tags": _tag_list(i.tags),
    }


def describe_images(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    status = get(p, "Status", "Available") or "Available"
    wanted = set(status.split(","))
    if "ALL" in wanted and len(wanted) > 1:
        raise bad("InvalidParameter.Status", "ALL cannot be combined with other statuses.")
    if wanted - {"ALL", *IMAGE_STATUSES}:
        raise bad("InvalidParameter.Status", "The specified Status is not valid.")
    items = [i for i in w.images.values() if i.region == region and ("ALL" in wanted or i.status in wanted)]
    if ids := get(p, "ImageId"):
        items = [i for i in items if i.id in ids.split(",")]
    if name := get(p, "ImageName"):
        items = [i for i in items if name in i.name]  # fuzzy match, as documented
    if family := get(p, "ImageFamily"):
        items = [i for i in items if i.family == family]
    if alias := get(p, "ImageOwnerAlias"):
        items = [i for i in items if i.owner_alias == alias]
    items = sorted(_filter_tags(items, p), key=lambda i: (-i.created, i.id))
    page, number, size = _page_by_number(items, p)
    return {"TotalCount": len(items), "PageNumber": number, "PageSize": size, "RegionId": region,
            "Images": {"Image": [_image_view(i) for i in page]}}


def delete_image(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    if img.owner_alias != "self":
        raise forbidden("OperationDenied", "Only custom images can be deleted.")
    if any(i.copy_source == img.id and i.status in ("Creating", "Waiting") for i in w.images.values()):
        raise forbidden("OperationDenied.ImageCopying", "The image is being copied.")
    if img.shared_with and not boolean(p, "Force", False):
        raise forbidden("ImageUseShared", "The image is shared with other accounts; unshare it or use Force.")
    del w.images[(region, img.id)]
    return {}


def copy_image(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    src = _image(w, region, require(p, "ImageId"))
    dest = get(p, "DestinationRegionId", region) or region
    if dest not in w.regions:
        raise forbidden("IncorrectDestinationRegion", f"The destination region {dest} is not valid.")
    if src.status != "Available":
        raise bad("IncorrectImageStatus", "Only Available images can be copied.")
    name = get(p, "DestinationImageName", "") or ""
    if name and (not _NAME_RE.match(name) or name.startswith(("acs:", "aliyun"))):
        raise bad("InvalidImageName.Malformed", "DestinationImageName is not valid.")
    _description(p, "DestinationDescription")
    if boolean(p, "DryRun", False):
        raise ApiError(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
    img = w.start_copy(src, dest, name, get(p, "DestinationDescription", "") or "", _tags(p), now)
    return {"ImageId": img.id}


def cancel_copy_image(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    if img.copy_source is None or img.status not in ("Creating", "Waiting"):
        raise forbidden("IncorrectImageStatus", "Only an image that is being copied can be cancelled.")
    del w.images[(region, img.id)]
    return {}


def modify_image_share_permission(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    # More than 10 per call are silently ignored (reference §4.2).
    add, remove = listed(p, "AddAccount")[:10], listed(p, "RemoveAccount")[:10]
    if not add and not remove and get(p, "IsPublic") is None:
        raise bad("MissingParameter", "AddAccount.N or RemoveAccount.N is required.")
    for acc in add + remove:
        if not _ACCOUNT_RE.match(acc):
            raise not_found("InvalidAccount.NotFound", f'The specified account {acc} in parameter "AddAccount.n" or "RemoveAccount.n" does not exist.')
        if acc == ACCOUNT_ID:
            raise not_found("InvalidAccount.Forbbiden", "An image cannot be shared with its owner.")
    if img.owner_alias != "self":
        raise forbidden("InvalidImageId.NotFound", "Only custom images can be shared.")
    if len(set(img.shared_with) | set(add)) > 50:
        raise forbidden("QuotaExceed.ShareImageUser", "An image can be shared with at most 50 accounts.")
    for acc in add:
        img.shared_with.setdefault(acc, now)
    for acc in remove:
        img.shared_with.pop(acc, None)
    return {}


def describe_image_share_permission(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    accounts = sorted(img.shared_with.items())
    page, number, size = _page_by_number(accounts, p)
    return {"ImageId": img.id, "RegionId": region, "TotalCount": len(accounts), "PageNumber": number,
            "PageSize": size, "Accounts": {"Account": [{"AliyunId": a, "SharedTime": iso(t)} for a, t in page]},
            "ShareGroups": {"ShareGroup": []}}


def tag_resources(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    kind = require(p, "ResourceType")
    ids = listed(p, "ResourceId")
    if not 1 <= len(ids) <= 50:
        raise bad("InvalidParameter.ResourceId", "ResourceId.N takes 1 to 50 values.")
    tags = _tags(p)
    if kind not in ("image", "imagecomponent"):
        raise bad("InvalidResourceType.NotSupported", f"The resource type {kind} is not supported.")
    objs: list[Any] = []
    for rid in ids:
        obj = w.images.get((region, rid)) if kind == "image" else w.components.get(rid)
        if obj is None or obj.region != region:
            raise not_found("InvalidResourceId.NotFound", f"The resource {rid} does not exist.")
        objs.append(obj)
    for obj in objs:
        obj.tags.update(tags)
    return {}


# -- preflight lookups ----------------------------------------------------------------------------

def describe_regions(w: World, p: Params, now: float) -> dict[str, Any]:
    return {"Regions": {"Region": [
        {"RegionId": r, "LocalName": r, "RegionEndpoint": f"ecs.{r}.aliyuncs.com", "Status": "available"}
        for r in sorted(w.regions)]}}


def describe_available_resource(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    dest = require(p, "DestinationResource")
    if dest != "InstanceType":
        raise bad("InvalidParameter.DestinationResource", "Only InstanceType is emulated.")
    types = w.instance_types[region]
    if itype := get(p, "InstanceType"):
        types = {k: v for k, v in types.items() if k == itype}
    resources = [{"Value": k, "Status": "Available" if v else "SoldOut",
                  "StatusCategory": "WithStock" if v else "WithoutStock"} for k, v in sorted(types.items())]
    zones = [{"RegionId": region, "ZoneId": f"{region}-a", "Status": "Available", "StatusCategory": "WithStock",
              "AvailableResources": {"AvailableResource": [
                  {"Type": "InstanceType", "SupportedResources": {"SupportedResource": resources}}]}}] if resources else []
    return {"AvailableZones": {"AvailableZone": zones}}


def describe_vswitches(w: World, p: Params, now: float) -> dict[str, Any]:
    region = _region(w, p)
    items = sorted(w.vswitches[region])
    if vsw := get(p, "VSwitchId"):
        items = [v for v in items if v == vsw]
    page, number, size = _page_by_number(items, p, max_size=50)
    return {"TotalCount": len(items), "PageNumber": number, "PageSize": size, "VSwitches": {"VSwitch": [
        {"VSwitchId": v, "VpcId": f"vpc-{region}", "ZoneId": f"{region}-a", "Status": "Available",
         "CidrBlock": "172.16.0.0/24", "VSwitchName": v} for v in page]}}


OPERATIONS: dict[str, Handler] = {
    "CreateImageComponent": create_image_component,
    "DescribeImageComponents": describe_image_components,
    "DeleteImageComponent": delete_image_component,
    "CreateImagePipeline": create_image_pipeline,
    "DescribeImagePipelines": describe_image_pipelines,
    "DeleteImagePipeline": delete_image_pipeline,
    "StartImagePipelineExecution": start_image_pipeline_execution,
    "DescribeImagePipelineExecutions": describe_image_pipeline_executions,
    "CancelImagePipelineExecution": cancel_image_pipeline_execution,
    "DescribeImages": describe_images,
    "DeleteImage": delete_image,
    "CopyImage": copy_image,
    "CancelCopyImage": cancel_copy_image,
    "ModifyImageSharePermission": modify_image_share_permission,
    "DescribeImageSharePermission": describe_image_share_permission,
    "TagResources": tag_resources,
    "DescribeRegions": describe_regions,
    "DescribeAvailableResource": describe_available_resource,
    "DescribeVSwitches": describe_vswitches,
}

IDEMPOTENT = frozenset({"CreateImageComponent", "CreateImagePipeline", "StartImagePipelineExecution", "CopyImage"})
"""Operations that take a ClientToken."""
