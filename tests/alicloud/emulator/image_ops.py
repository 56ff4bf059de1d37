"""Images and what hangs off them: DescribeImages, CopyImage and its cancel, DeleteImage, shares,
snapshots and tags. Each rule cites its page (``docs.DOCS`` key in brackets)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from . import validation
from .errors import ApiError, bad, forbidden, not_found
from .params import Params, boolean, get, listed, pairs, require
from .world import ACCOUNT_ID, IN_PROGRESS, MAX_TAGS, Image, World, iso

_ACCOUNT_RE = re.compile(r"^\d{1,20}$")
IMAGE_STATUSES = ("Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated")
HOST_REGION = "__HostRegion"
"""Set by the server (never sent by a client): the region of the regional endpoint the request
arrived at, for DeleteSnapshot, which has no RegionId parameter."""


def _image(w: World, region: str, image_id: str) -> Image:
    img = w.images.get((region, image_id))
    if img is None:
        raise not_found("InvalidImageId.NotFound", f"The specified ImageId {image_id} does not exist.")
    return img


def _image_view(w: World, i: Image) -> dict[str, Any]:
    return {
        "ImageId": i.id, "ImageName": i.name, "ImageFamily": i.family, "Status": i.status, "Progress": i.progress,
        "CreationTime": iso(i.created), "Size": i.size, "ImageOwnerAlias": i.owner_alias,
        "ImageOwnerId": 0 if i.owner_alias == "system" else int(ACCOUNT_ID), "IsCopied": i.copy_source is not None,
        "IsSelfShared": "True" if i.shared_with else "False", "IsPublic": i.owner_alias == "system",
        "OSType": "linux", "Platform": "Ubuntu", "Architecture": "x86_64", "Description": i.description,
        "ResourceGroupId": i.resource_group if i.owner_alias == "self" else "",
        "Usage": "instance" if w.instances[i.id] else "none",
        "DiskDeviceMappings": {"DiskDeviceMapping": [
            {"SnapshotId": s, "Size": str(i.size), "Type": "system", "Device": "/dev/xvda", "Format": "", "Progress": ""}
            for s in i.snapshot_ids]},
        "Tags": validation.tag_list(i.tags),
    }


def describe_images(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    # [DescribeImages] Status: default Available; several values separated by commas.
    status = get(p, "Status", "Available") or "Available"
    wanted = set(status.split(","))
    if "ALL" in wanted and len(wanted) > 1:
        raise bad("InvalidParameter.Status", "ALL cannot be combined with other statuses.")
    if wanted - {"ALL", *IMAGE_STATUSES}:
        raise bad("InvalidParameter.Status", "The specified Status is not valid.")
    items = [i for i in w.images.values() if i.region == region and ("ALL" in wanted or i.status in wanted)
             and w.listed(i.created, now)]
    if image_id := get(p, "ImageId"):
        # [DescribeImages] ImageId is "The image ID": one id, not a list.
        items = [i for i in items if i.id == image_id]
    if name := get(p, "ImageName"):
        items = [i for i in items if name in i.name]  # "Fuzzy search is supported."
    if family := get(p, "ImageFamily"):
        items = [i for i in items if i.family == family]
    if alias := get(p, "ImageOwnerAlias"):
        items = [i for i in items if i.owner_alias == alias]
    if snapshot := get(p, "SnapshotId"):
        items = [i for i in items if snapshot in i.snapshot_ids]
    if group := get(p, "ResourceGroupId"):
        items = [i for i in items if i.resource_group == group]
    for key, value in pairs(p, "Filter"):
        # [DescribeImages] Filter.N: CreationStartTime / CreationEndTime, yyyy-MM-ddTHH:mmZ (UTC).
        if key in ("CreationStartTime", "CreationEndTime"):
            try:
                at = datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC).timestamp()
            except ValueError:
                raise bad("InvalidParameter.Filter", f"The filter value {value!r} is not yyyy-MM-ddTHH:mmZ.") from None
            items = [i for i in items if (i.created >= at if key == "CreationStartTime" else i.created <= at)]
    items = sorted(validation.filter_tags(items, p), key=lambda i: (-i.created, i.id))
    page, number, size = validation.page_by_number(items, p)
    return {"TotalCount": len(items), "PageNumber": number, "PageSize": size, "RegionId": region,
            "Images": {"Image": [_image_view(w, i) for i in page]}}


def delete_image(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    if img.owner_alias != "self":
        raise forbidden("OperationDenied", "Only custom images can be deleted.")
    if img.status in IN_PROGRESS and img.copy_source is not None or w.copies_of(img.id):
        # [CopyImage] "When an image is being copied, the new image cannot be deleted by calling
        # DeleteImage"; [DeleteImage] 403 OperationDenied.ImageCopying "Please use the CancelCopyImage API."
        raise forbidden("OperationDenied.ImageCopying", "The image is being copied. Please use the CancelCopyImage API.")
    if img.shared_with:
        # [DeleteImage] 403 ImageUseShared; Force concerns instances only ("regardless of whether the
        # image is being used by instances"), so a shared image must be unshared first.
        raise forbidden("ImageUseShared", "The specified image has been shared to others. You can use the "
                        "DescribeImageSharePermission API to query the users who have been shared.")
    if w.instances[img.id] and not boolean(p, "Force", False):
        raise forbidden("ImageUsingByInstance", "The specified image has been used to create instances. You can "
                        "use the DescribeInstances API to query these instances, or you can use the force parameter.")
    # [delete-image] the image's snapshots are kept (and billed) until deleted with DeleteSnapshot.
    del w.images[(region, img.id)]
    return {}


def copy_image(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    src = _image(w, region, require(p, "ImageId"))
    dest = get(p, "DestinationRegionId", region) or region
    if dest not in w.regions:
        raise bad("DestinationRegion.NotFound", "The destination region not found.")
    encrypted = boolean(p, "Encrypted", False)
    kms = get(p, "KMSKeyId", "") or ""
    if dest == region and not encrypted:
        # [CopyImage] 403 IncorrectDestinationRegion: the source region must differ from the
        # destination (a same-region copy only makes sense to encrypt, as Packer does).
        raise forbidden("IncorrectDestinationRegion", "The destination region is not equal the target region.")
    if src.status != "Available":
        # [CopyImage] "Only custom images that are in the Available state can be copied."
        raise bad("IncorrectImageStatus", "The image not available.")
    name = get(p, "DestinationImageName", "") or ""
    if name and (not validation.NAME_RE.match(name) or name.startswith(("acs:", "aliyun"))):
        raise bad("InvalidImageName.Malformed", "The specified destination image name is wrongly formed.")
    validation.description(p, "DestinationDescription")
    tags = validation.tags(p)
    if kms and not encrypted:
        raise bad("InvalidParameter.EncryptedIllegal", "The specified parameter Encrypted must be true when kmsKeyId "
                  "is not empty.")
    if kms and kms not in w.kms_keys.get(dest, set()):
        raise not_found("InvalidParameter.KMSKeyId.NotFound", "The specified KMSKeyId does not exist.")
    if dest in w.default_encryption and not encrypted:
        raise forbidden("InvalidEncrypted.NotMatchDiskDefaultEncryption",
                        "The specified parameter Encrypted not match for your account default encryption settings.")
    group = validation.resource_group(w, p)
    if any(i.region == dest for i in w.copies_of(src.id)):
        # [CopyImage] 400 OperationDenied.ImageCopyConflict: "The same image cannot be copied
        # concurrently. Please wait until the last copy is completed" (read here as: into the same region).
        raise bad("OperationDenied.ImageCopyConflict", "The same image cannot be copied concurrently. Please wait "
                  "until the last copy is completed before performing the next operation.")
    if name and w.name_taken(dest, name):
        raise bad("InvalidImageName.Duplicated", "The specified image name is already in use in the target region. "
                  "Please try a different one.")
    if boolean(p, "DryRun", False):
        raise ApiError(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
    img = w.start_copy(src, dest, name, get(p, "DestinationDescription", "") or "", tags, now,
                       encrypted=encrypted, kms_key_id=kms, resource_group=group)
    return {"ImageId": img.id}


def cancel_copy_image(w: World, p: Params, now: float) -> dict[str, Any]:
    # [CancelCopyImage] RegionId is the destination region, ImageId the new image.
    region = validation.region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    if img.copy_source is None or img.status not in IN_PROGRESS:
        raise forbidden("IncorrectImageStatus", "Only an image that is being copied can be cancelled.")
    del w.images[(region, img.id)]
    for sid in img.snapshot_ids:  # a cancelled copy leaves nothing behind
        w.snapshots.pop(sid, None)
    return {}


def modify_image_share_permission(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    # [ModifyImageSharePermission] AddAccount.N / RemoveAccount.N: N 1–10; more are ignored.
    add, remove = listed(p, "AddAccount")[:10], listed(p, "RemoveAccount")[:10]
    if not add and not remove and get(p, "IsPublic") is None:
        raise bad("MissingParameter", "AddAccount.N or RemoveAccount.N is required.")
    for acc in add + remove:
        if not _ACCOUNT_RE.match(acc):
            raise not_found("InvalidAccount.NotFound", f'The specified account {acc} in parameter "AddAccount.n" or '
                            '"RemoveAccount.n" does not exist.')
        if acc == ACCOUNT_ID:
            raise not_found("InvalidAccount.Forbbiden", "The specified Account does not yourself.")
    if img.owner_alias != "self":
        raise forbidden("InvalidImageId.NotFound", "Only custom images can be shared.")
    if add and img.status != "Available":
        # [ModifyImageSharePermission] (2021 page) 400 IncorrectImageStatus "The image is not available."
        raise bad("IncorrectImageStatus", "The image is not available.")
    if add and img.encrypted and not img.kms_key_id:
        # [ModifyImageSharePermission] images encrypted with the service key cannot be shared.
        raise forbidden("OperationDeined.EncryptedSnapshot", "The image contains encrypted snapshots, which do not "
                        "support share.")
    if len(set(img.shared_with) | set(add)) > 50:
        raise forbidden("QuotaExceed.ShareImageUser", "The shared Image user Quota exceeds.")
    for acc in add:
        img.shared_with.setdefault(acc, now)
    for acc in remove:
        img.shared_with.pop(acc, None)
    return {}


def describe_image_share_permission(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    img = _image(w, region, require(p, "ImageId"))
    accounts = sorted(img.shared_with.items())
    page, number, size = validation.page_by_number(accounts, p)
    return {"ImageId": img.id, "RegionId": region, "TotalCount": len(accounts), "PageNumber": number,
            "PageSize": size, "Accounts": {"Account": [{"AliyunId": a, "SharedTime": iso(t)} for a, t in page]},
            "ShareGroups": {"ShareGroup": []}}


def delete_snapshot(w: World, p: Params, now: float) -> dict[str, Any]:
    # [DeleteSnapshot] no RegionId: the endpoint decides the region.
    sid = require(p, "SnapshotId")
    snap = w.snapshots.get(sid)
    host_region = p.get(HOST_REGION)
    if snap is None or (host_region and snap.region != host_region):
        raise not_found("InvalidSnapshotId.NotFound", "The specified snapshot is not found.")
    if any(sid in i.snapshot_ids for i in w.images.values()):
        raise forbidden("SnapshotCreatedImage", "The snapshot has been used to create user defined image(s).")
    del w.snapshots[sid]
    return {}


# -- tags ----------------------------------------------------------------------------------------

def _tag_targets(w: World, p: Params) -> tuple[list[Any], str]:
    region = validation.region(w, p)
    kind = get(p, "ResourceType")
    if kind is None:
        raise not_found("MissingParameter.ResourceType", "The parameter - ResourceType should not be null")
    ids = listed(p, "ResourceId")
    if len(ids) > 50:
        raise bad("NumberExceed.ResourceIds", "The ResourceIds parameter's number is exceed , Valid : 50")
    if not ids:
        raise bad("MissingParameter.ResourceIds", "The parameter - ResourceIds should not be null")
    if kind not in ("image", "snapshot", "imagecomponent"):
        # [TagResources] ResourceType values; imagecomponent as the Terraform provider uses it.
        # imagepipeline is unverified and refused.
        raise not_found("InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records.")
    objs: list[Any] = []
    for rid in ids:
        obj = (w.images.get((region, rid)) if kind == "image" else w.components.get(rid) if kind == "imagecomponent"
               else w.snapshots.get(rid))
        if obj is None or obj.region != region:
            raise not_found("InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.")
        objs.append(obj)
    return objs, kind


def tag_resources(w: World, p: Params, now: float) -> dict[str, Any]:
    objs, kind = _tag_targets(w, p)
    tags = validation.tags(p, count_code="NumberExceed.Tags")
    if not tags:
        raise not_found("MissingParameter.Tags", "The parameter - Tags should not be null")
    for obj in objs:
        if kind != "snapshot" and len(set(obj.tags) | set(tags)) > MAX_TAGS:
            # [TagResources] "Before you bind tags, Alibaba Cloud checks the number of existing tags of
            # the resource. An error message is returned if the maximum number is reached."
            raise bad("OperationDenied.QuotaExceed", "The quota of tags on resource is beyond permitted range.")
    for obj in objs:
        if kind != "snapshot":
            obj.tags.update(tags)
    return {}


def untag_resources(w: World, p: Params, now: float) -> dict[str, Any]:
    objs, kind = _tag_targets(w, p)
    keys = listed(p, "TagKey")
    if len(keys) > MAX_TAGS:
        raise bad("NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : 20")
    remove_all = boolean(p, "All", False) and not keys
    for obj in objs:
        if kind == "snapshot":
            continue
        for k in list(obj.tags) if remove_all else keys:
            obj.tags.pop(k, None)
    return {}
