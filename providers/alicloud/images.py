"""Images in any region: looking them up, naming copies, sharing, and deleting them with their
snapshots.

Facts from the API pages this relies on:
* DescribeImages lists only Available images unless ``Status`` is given; ``ImageId`` is one id.
* CopyImage names must be unique among the account's images in the destination region
  (``InvalidImageName.Duplicated``), and only Available images can be copied.
* DeleteImage refuses a shared image (``ImageUseShared``); ``Force`` concerns instances only. It
  keeps the image's snapshots, which are billed until DeleteSnapshot removes them, and a snapshot
  cannot be deleted while an image uses it (``SnapshotCreatedImage``).
* ModifyImageSharePermission takes at most 10 accounts per call (more are silently ignored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from alibabacloud_ecs20140526 import models as ecs

from imgb.providers.base import ProviderError

from .api import EcsApi
from .errors import is_not_found

ALL_STATUSES = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated"
SHARE_BATCH = 10
PAGE = 100


def snapshot_ids(img: Any) -> list[str]:
    mappings = img.disk_device_mappings.disk_device_mapping if img.disk_device_mappings else None
    return sorted({m.snapshot_id for m in mappings or [] if m.snapshot_id})


def copy_name(source: Any, fallback: str) -> str:
    """The name of a copy: its source's name (Image Builder's ``{ImageName}_{ExecutionId}``, unique
    to one build), so each generation's copies have names of their own in every region."""
    name = str(source.image_name or "")
    if 2 <= len(name) <= 128 and name[0].isascii() and name[0].isalpha() and not name.startswith("aliyun"):
        return name
    return f"{fallback}_{source.image_id}"[:128]


class Images:
    def __init__(self, api: EcsApi, *, force_delete: bool, delete_snapshots: bool):
        self._api = api
        self.force_delete = force_delete
        self.delete_snapshots = delete_snapshots

    def describe(self, region: str, *, status: str, image_id: str | None = None, image_name: str | None = None,
             image_family: str | None = None, owner: str | None = None) -> list[Any]:
        out: list[Any] = []
        page = 1
        while True:
            req = ecs.DescribeImagesRequest(region_id=region, image_id=image_id, image_name=image_name,
                                            image_family=image_family, image_owner_alias=owner, status=status,
                                            page_number=page, page_size=PAGE)
            body = self._api.call(region, "describe_images", req)
            batch = body.images.image if body.images else []
            out += batch or []
            if not batch or page * PAGE >= (body.total_count or 0) or image_id:
                return out
            page += 1

    def get(self, region: str, image_id: str) -> Any:
        """The image in any status, or None."""
        found = [i for i in self.describe(region, status=ALL_STATUSES, image_id=image_id) if i.image_id == image_id]
        return found[0] if found else None

    def named(self, region: str, name: str) -> list[Any]:
        """The account's own images called exactly ``name`` (ImageName filters fuzzily)."""
        return [i for i in self.describe(region, status=ALL_STATUSES, image_name=name, owner="self") if i.image_name == name]

    # -- shares ---------------------------------------------------------------------------------

    def modify_shares(self, region: str, image_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Share with ``add`` and unshare ``remove``, ten accounts per call."""
        add, remove = sorted(set(add)), sorted(set(remove))
        for i in range(0, max(len(add), len(remove)), SHARE_BATCH):
            req = ecs.ModifyImageSharePermissionRequest(
                region_id=region, image_id=image_id,
                add_account=add[i:i + SHARE_BATCH] or None, remove_account=remove[i:i + SHARE_BATCH] or None)
            self._api.call(region, "modify_image_share_permission", req)

    def shared_accounts(self, region: str, image_id: str) -> set[str]:
        accounts: set[str] = set()
        page = 1
        while True:
            req = ecs.DescribeImageSharePermissionRequest(region_id=region, image_id=image_id, page_number=page,
                                                          page_size=PAGE)
            try:
                body = self._api.call(region, "describe_image_share_permission", req)
            except ProviderError as err:
                if is_not_found(err):
                    return set()
                raise
            batch = body.accounts.account if body.accounts else []
            accounts |= {a.aliyun_id for a in batch or []}
            if not batch or page * PAGE >= (body.total_count or 0):
                return accounts
            page += 1

    # -- deletion -------------------------------------------------------------------------------

    def delete(self, region: str, image_id: str, known_snapshots: Iterable[str] = ()) -> None:
        """Delete the image (unsharing it first if it is shared) and then its snapshots. Already
        gone counts as deleted; snapshots recorded earlier are deleted even when the image is."""
        img = self.get(region, image_id)
        snapshots = set(known_snapshots) | set(snapshot_ids(img) if img is not None else ())
        if img is not None:
            try:
                self._delete_image(region, image_id)
            except ProviderError as err:
                if err.code != "ImageUseShared":
                    raise
                # Shares go with the image anyway; DeleteImage refuses until they are gone.
                self.modify_shares(region, image_id, remove=sorted(self.shared_accounts(region, image_id)))
                self._delete_image(region, image_id)
        self._delete_snapshots(region, snapshots)

    def release(self, region: str, image_id: str, known_snapshots: Iterable[str]) -> None:
        """The image is gone (a delete interrupted before its snapshots, or a delete outside imgb):
        delete the snapshots state recorded for it. An image that still exists is left alone."""
        if self.delete_snapshots and known_snapshots and self.get(region, image_id) is None:
            # The image is gone, so an image refusing a snapshot's deletion (SnapshotCreatedImage)
            # is another one, made from that snapshot since: the snapshot is no longer a leftover.
            self._delete_snapshots(region, set(known_snapshots), in_use_is_kept=True)

    def _delete_snapshots(self, region: str, snapshots: Iterable[str], *, in_use_is_kept: bool = False) -> None:
        if self.delete_snapshots:
            for sid in sorted(snapshots):
                try:
                    self._api.call(region, "delete_snapshot", ecs.DeleteSnapshotRequest(snapshot_id=sid))
                except ProviderError as err:
                    if not (is_not_found(err) or (in_use_is_kept and err.code == "SnapshotCreatedImage")):
                        raise

    def _delete_image(self, region: str, image_id: str) -> None:
        req = ecs.DeleteImageRequest(region_id=region, image_id=image_id, force=True if self.force_delete else None)
        try:
            self._api.call(region, "delete_image", req)
        except ProviderError as err:
            if not is_not_found(err):
                raise
