"""Image Builder's own operations: components, templates (image pipelines) and their executions.

Each rule cites its page (``docs.DOCS`` key in brackets).
"""

from __future__ import annotations

import re
from typing import Any

from . import content, validation
from .errors import bad, forbidden, not_found
from .params import Params, boolean, get, integer, listed, pairs, require
from .world import TERMINAL, Component, Execution, Pipeline, World, iso

_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
EXECUTION_STATUSES = {"PREPARING", "REPAIRING", "BUILDING", "TESTING", "DISTRIBUTING", "RELEASING", "SUCCESS",
                      "PARTITION_SUCCESS", "FAILED", "TEST_FAILED", "CANCELLING", "CANCELLED"}
MAX_EXECUTION_IDS = 20
"""[DescribeImagePipelineExecutions] InvalidExecutionId.SizeExceeded: "ExecutionId list exceeds
maximum size of %s" — the page does not say the size; 20 (like ImagePipelineId.N) is assumed."""


# -- components ----------------------------------------------------------------------------------

def create_image_component(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    name = validation.name(p)
    validation.description(p)
    if get(p, "SystemType", "Linux") not in ("Linux", "Windows"):
        raise bad("InvalidSystemType.NotSupportedValue", "SystemType must be Linux or Windows.")
    if get(p, "ComponentType", "Build") not in ("Build", "Test"):
        raise bad("InvalidComponentType.NotSupportedValue", "ComponentType must be Build or Test.")
    text = get(p, "Content")
    if text is None:
        raise bad("MissingParameter.Content", 'The input parameter "Content" is not supplied.')
    content.check(text, template=False, length_code="InvalidContent.LengthExceeded")
    tags = validation.tags(p)
    group = validation.resource_group(w, p)
    version = get(p, "ComponentVersion")
    same_name = [c for c in w.components.values() if c.region == region and name and c.params.get("Name") == name]
    if version is None:
        # [CreateImageComponent] default (x+1).0.0, x the highest major version of the name.
        top = max((int(c.params["ComponentVersion"].split(".")[0]) for c in same_name), default=0)
        version = f"{top + 1}.0.0"
    elif not _VERSION_RE.match(version):
        raise bad("InvalidParameter.ComponentVersion", "ComponentVersion must be major.minor.patch.")
    if any(c.params.get("ComponentVersion") == version for c in same_name):
        # [CreateImageComponent] 403 InvalidComponentVersion.Exist: a name+version is used once.
        raise forbidden("InvalidComponentVersion.Exist", f"The version {version} of component {name} already exists.")
    cid = w.new_id("ic")
    params = dict(p, ComponentVersion=version)
    params.setdefault("Name", cid)
    w.components[cid] = Component(cid, region, params, tags, now, group)
    w.record("component", cid, region)
    return {"ImageComponentId": cid}


def _component_view(c: Component) -> dict[str, Any]:
    prm = c.params
    return {
        "ImageComponentId": c.id, "Name": prm.get("Name", c.id), "ComponentVersion": prm["ComponentVersion"],
        "ComponentType": prm.get("ComponentType", "Build"), "SystemType": prm.get("SystemType", "Linux"),
        "Owner": "SELF", "Content": prm.get("Content", ""), "Description": prm.get("Description", ""),
        "CreationTime": iso(c.created), "ResourceGroupId": c.resource_group, "Tags": validation.tag_list(c.tags),
        "Parameters": {"Parameter": []},
    }


def describe_image_components(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    ids = listed(p, "ImageComponentId")
    if len(ids) > 20:
        # [DescribeImageComponents] ImageComponentId.N: N 1–20.
        raise bad("InvalidImageComponentIdSize.ExceededMaxNumber", "At most 20 ImageComponentId values.")
    items = [c for c in w.components.values() if c.region == region]
    if ids:
        items = [c for c in items if c.id in ids]
    if name := get(p, "Name"):
        items = [c for c in items if c.params.get("Name") == name]  # exact match only
    if group := get(p, "ResourceGroupId"):
        items = [c for c in items if c.resource_group == group]
    items = sorted(validation.filter_tags(items, p), key=lambda c: (c.created, c.id))
    page, nxt, size = validation.page_by_token(items, p)
    return {"TotalCount": len(items), "MaxResults": size, "NextToken": nxt,
            "ImageComponent": {"ImageComponentSet": [_component_view(c) for c in page]}}


def delete_image_component(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    cid = require(p, "ImageComponentId")
    comp = w.components.get(cid)
    if comp is None or comp.region != region:
        raise not_found("InvalidImageComponent.NotFound", f"The image component {cid} does not exist.")
    if any(cid in pl.component_ids for pl in w.pipelines.values()):
        # [DeleteImageComponent] 403 InvalidImageComponent.InUse.
        raise forbidden("InvalidImageComponent.InUse", "The image component is used by the image pipeline.")
    del w.components[cid]
    return {}


# -- templates (image pipelines) -----------------------------------------------------------------

def create_image_pipeline(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    validation.name(p)
    validation.description(p)
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
    if image_name is not None and not validation.IMAGE_NAME_RE.match(image_name):
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
    tags = validation.tags(p)
    validation.tags(p, "ImageOptions.ImageTags")
    group = validation.resource_group(w, p)
    pid = w.new_id("ip")
    params = dict(p)
    params.setdefault("Name", pid)
    w.pipelines[pid] = Pipeline(pid, region, params, tags, now, ids, group)
    w.record("template", pid, region)
    return {"ImagePipelineId": pid}


def _pipeline_view(pl: Pipeline) -> dict[str, Any]:
    prm = pl.params
    return {
        "ImagePipelineId": pl.id, "Name": prm.get("Name"), "Description": prm.get("Description", ""),
        "CreationTime": iso(pl.created), "ResourceGroupId": pl.resource_group, "BaseImageType": prm.get("BaseImageType"),
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
        "Tags": validation.tag_list(pl.tags),
        "AddAccounts": {"AddAccount": listed(prm, "AddAccount")},
        "ToRegionIds": {"ToRegionId": listed(prm, "ToRegionId")},
    }


def describe_image_pipelines(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    ids = listed(p, "ImagePipelineId")
    if len(ids) > 20:
        raise bad("InvalidImagePipelineIdSize.ExceededMaxNumber", "At most 20 ImagePipelineId values.")
    items = [pl for pl in w.pipelines.values() if pl.region == region]
    if ids:
        items = [pl for pl in items if pl.id in ids]
    if name := get(p, "Name"):
        items = [pl for pl in items if pl.params.get("Name") == name]
    if group := get(p, "ResourceGroupId"):
        items = [pl for pl in items if pl.resource_group == group]
    items = sorted(validation.filter_tags(items, p), key=lambda pl: (pl.created, pl.id))
    page, nxt, size = validation.page_by_token(items, p)
    return {"TotalCount": len(items), "MaxResults": size, "NextToken": nxt,
            "ImagePipeline": {"ImagePipelineSet": [_pipeline_view(pl) for pl in page]}}


def _running(w: World, pipeline_id: str) -> Execution | None:
    return next((e for e in w.executions.values() if e.pipeline_id == pipeline_id and e.status not in TERMINAL), None)


def delete_image_pipeline(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    pid = require(p, "ImagePipelineId")
    pl = w.pipelines.get(pid)
    if pl is None or pl.region != region:
        raise not_found("InvalidImagePipeline.NotFound", f"The image pipeline {pid} does not exist.")
    if _running(w, pid):
        # [DeleteImagePipeline] 403 while an execution is not in a terminal state.
        raise forbidden("InvalidImagePipeline.HasRunningExecution", "The image pipeline has a running execution.")
    del w.pipelines[pid]
    # [DescribeImagePipelineExecutions] (2021 page): deleting a template deletes its execution records.
    for eid in [e.id for e in w.executions.values() if e.pipeline_id == pid]:
        del w.executions[eid]
    return {}


# -- executions ----------------------------------------------------------------------------------

def start_image_pipeline_execution(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    pid = require(p, "ImagePipelineId")
    pl = w.pipelines.get(pid)
    if pl is None or pl.region != region:
        raise not_found("InvalidImagePipeline.NotFound", f"The image pipeline {pid} does not exist.")
    if _running(w, pid):
        # [StartImagePipelineExecution] one running execution per template.
        raise forbidden("InvalidImagePipeline.HasRunningExecution", "The image pipeline has a running execution.")
    base = pl.params.get("BaseImage", "")
    if pl.params.get("BaseImageType") == "IMAGE" and (region, base) not in w.images:
        raise not_found("InvalidImagePipeline.BaseImageNotFound", f"The base image {base} does not exist.")
    for cid in pl.component_ids:
        if cid not in w.components:
            raise not_found("ImageComponent.NotFound", f"The image component {cid} does not exist.")
    ex = w.start_execution(pl, now, validation.tags(p))
    w.record("execution", ex.id, region)
    return {"ExecutionId": ex.id}


def _execution_view(ex: Execution) -> dict[str, Any]:
    return {
        "ExecutionId": ex.id, "ImagePipelineId": ex.pipeline_id, "Status": ex.status, "ImageId": ex.image_id,
        "Message": ex.message, "ErrorCode": ex.error_code, "ErrorInfo": ex.error_info,
        "CreationTime": iso(ex.created), "ModifiedTime": iso(ex.modified), "ResourceGroupId": ex.resource_group,
        "Tags": validation.tag_list(ex.tags),
    }


def describe_image_pipeline_executions(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    pid, eid = get(p, "ImagePipelineId"), get(p, "ExecutionId")
    if pid is None and eid is None:
        # [DescribeImagePipelineExecutions] 400 MissingParameter.ImagePipelineId.
        raise bad("MissingParameter.ImagePipelineId", "The specified parameter ImagePipelineId should not be empty.")
    eids = [e for e in (eid or "").split(",") if e]
    if len(eids) > MAX_EXECUTION_IDS:
        raise bad("InvalidExecutionId.SizeExceeded",
                  f"ExecutionId list exceeds maximum size of {MAX_EXECUTION_IDS}. Current size is {len(eids)}.")
    statuses = {s for s in (get(p, "Status") or "").split(",") if s}
    if statuses - EXECUTION_STATUSES:
        raise bad("InvalidParameter.Status", "The specified Status is not valid.")
    if pid is not None and not eids and (pid not in w.pipelines or w.pipelines[pid].region != region):
        raise not_found("InvalidImagePipeline.NotFound", f"The image pipeline {pid} does not exist.")
    items = [e for e in w.executions.values() if e.region == region and (pid is None or e.pipeline_id == pid)
             and (not eids or e.id in eids) and (not statuses or e.status in statuses) and w.listed(e.created, now)]
    items = sorted(validation.filter_tags(items, p), key=lambda e: (e.created, e.id))
    page, nxt, size = validation.page_by_token(items, p)
    return {"TotalCount": len(items), "MaxResults": size, "NextToken": nxt,
            "ImagePipelineExecution": {"ImagePipelineExecutionSet": [_execution_view(e) for e in page]}}


def cancel_image_pipeline_execution(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    eid = require(p, "ExecutionId")
    ex = w.executions.get(eid)
    if ex is None or ex.region != region:
        raise not_found("InvalidImagePipelineExecution.NotFound", f"The execution {eid} does not exist.")
    if ex.status in TERMINAL:
        # [CancelImagePipelineExecution] 400 InvalidStatus.CancelFailed / 403 InvalidStatus.ImagePipelineExecution.
        raise bad("InvalidStatus.CancelFailed", "The execution status is success, failed or cancelled.")
    if ex.status not in ("PREPARING", "REPAIRING", "BUILDING"):
        raise forbidden("InvalidStatus.ImagePipelineExecution", f"An execution in {ex.status} cannot be cancelled.")
    w.cancel_execution(ex, now)
    return {}
