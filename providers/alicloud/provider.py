"""AlicloudProvider: imgb's five kinds on ECS Image Builder through the official Python SDK.

component → CreateImageComponent / DescribeImageComponents / DeleteImageComponent
template  → CreateImagePipeline / DescribeImagePipelines / DeleteImagePipeline
image     → StartImagePipelineExecution, polled with DescribeImagePipelineExecutions, then
            DescribeImages until Available; DeleteImage + DeleteSnapshot; CancelImagePipelineExecution
copy      → CopyImage (named after its source, so every generation's copies have their own names),
            polled with DescribeImages in the destination region
share     → ModifyImageSharePermission / DescribeImageSharePermission

Every create sends the engine's token as ``ClientToken``, so a retry after a lost response
returns the same object instead of making a second one. When a create is refused for good, the
provider still looks for what an earlier attempt may have made (by name and imgb's tags) and
adopts it: no object is left untracked.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alibabacloud_ecs20140526 import models as ecs

from imgb.addresses import Kind
from imgb.diagnostics import Diagnostic, error
from imgb.providers.base import Cancelled, Progress, ProviderError, ProviderSchema, Quote

from .api import EcsApi
from .credentials import AssumeRole, credential_client
from .definitions import component_attributes, component_request, template_attributes, template_request
from .errors import is_not_found
from .images import ALL_STATUSES, Images, copy_name, snapshot_ids
from .listings import Listings, Shared
from .polling import Poller
from .preflight import Preflight, is_known
from .pricing import AlicloudPricing
from .schema import SCHEMA
from .sharing import ShareBatcher
from .tagging import HASH, from_wire, imgb_tags

RUNNING = ("PREPARING", "REPAIRING", "BUILDING", "TESTING", "DISTRIBUTING", "RELEASING", "CANCELLING")
EXECUTION_BATCH = 20
"""Executions per DescribeImagePipelineExecutions (InvalidExecutionId.SizeExceeded: the size is not documented)."""


def client_token(token: str) -> str:
    """The engine's token as a ClientToken (≤ 64 ASCII characters)."""
    if len(token) <= 64 and token.isascii():
        return token
    return hashlib.sha256(token.encode()).hexdigest()


class AlicloudProvider:
    type = "alicloud"

    def __init__(
        self,
        region: str,
        *,
        profile: str | None = None,
        endpoint: str | None = None,
        vpc_endpoint: str | None = None,
        protocol: str = "https",
        credentials: Any = None,
        assume_role: AssumeRole | Mapping[str, Any] | None = None,
        ecs_role_name: str | None = None,
        resource_group_id: str | None = None,
        encrypted: bool = False,
        kms_key_ids: Mapping[str, str] | None = None,
        force_delete: bool = False,
        delete_snapshots: bool = True,
        poll_interval: float = 10.0,
        copy_poll_interval: float | None = None,
        read_timeout_ms: int = 30_000,
        connect_timeout_ms: int = 10_000,
        max_transient_errors: int = 30,
        max_backoff: float = 60.0,
        listing_grace: float = 600.0,
        snapshot_prices: Mapping[str, Any] | None = None,
        listing_max_age: float = 30.0,
        share_window: float = 0.05,
    ):
        """``credentials`` is an ``alibabacloud_credentials`` client (tests, or a caller that holds
        credentials); without it they come from ``ecs_role_name``, ``profile``, the environment or the
        default chain, and ``assume_role`` (a mapping like the provider block's, or an AssumeRole)
        assumes a role with them. ``endpoint`` is ``host[:port]`` or a pattern with ``{region}`` (a
        scheme is stripped and taken as the protocol). ``listing_grace``: how long a new build or copy
        may stay unlisted before it counts as gone. ``listing_max_age``: how long a refresh reuses a region's
        listing (see listings.py; anything this provider changes is listed again at once).
        ``share_window``: how long a share waits for the image's other shares, to send them in one
        call (sharing.py)."""
        if endpoint and "://" in endpoint:
            protocol, _, endpoint = endpoint.partition("://")
            endpoint = endpoint.rstrip("/")
        if vpc_endpoint and "://" in vpc_endpoint:
            vpc_endpoint = vpc_endpoint.partition("://")[2].rstrip("/")
        self.region = region
        self.endpoint = endpoint or None
        if credentials is None:
            role = assume_role if isinstance(assume_role, AssumeRole) else AssumeRole.from_config(assume_role, os.environ)
            credentials = credential_client(profile=profile, ecs_role_name=ecs_role_name, assume_role=role)
        self._api = EcsApi(credentials, endpoint=self.endpoint, vpc_endpoint=vpc_endpoint, protocol=protocol,
                           read_timeout_ms=read_timeout_ms, connect_timeout_ms=connect_timeout_ms)
        self.resource_group_id = resource_group_id or None
        self.encrypted = bool(encrypted or kms_key_ids)
        self.kms_key_ids = dict(kms_key_ids or {})
        self.listing_grace = listing_grace
        self._images = Images(self._api, force_delete=force_delete, delete_snapshots=delete_snapshots)
        self._poller = Poller(poll_interval, max_transient_errors, max_backoff)
        self._copy_poller = Poller(copy_poll_interval if copy_poll_interval is not None else poll_interval,
                                   max_transient_errors, max_backoff)
        # Reads (refresh, base images) are retried too: a throttled Describe must not fail a plan.
        self._reader = Poller(min(poll_interval, 0.5), min(max_transient_errors, 8), max_backoff)
        self._preflight = Preflight(self._api, region, self.resolve_base_image)
        self._cancelled: set[str] = set()
        self._pricing = AlicloudPricing(lambda r, op, req: self._reader.call(lambda: self._api.call(r, op, req)),
                                        region, snapshot_prices)
        self._listings = Listings(self._api, region, listing_max_age)
        self._sharer = ShareBatcher(self._images.modify_shares, window=share_window)
        self._listings.read_shares_with(self._images.shared_accounts)
        self._poll_every = poll_interval
        self._copy_poll_every = copy_poll_interval if copy_poll_interval is not None else poll_interval
        self._executions: Shared[dict[str, Any]] = Shared(self._list_executions, poll_interval)
        self._watched: dict[str, set[str]] = {}
        """region → executions being waited on: polled together."""
        self._watch_lock = threading.Lock()
        self._watched_images: dict[str, dict[str, float]] = {}
        """region → the builds' images and copies being waited on there, with when they started."""
        self._listings.polls_since(self._oldest_wait)
        self._execution_batch = EXECUTION_BATCH
        self._base_images: dict[tuple[str | None, str | None], str] = {}
        self._available: dict[str, str] = {}
        """Built images this provider saw Available → the name their copies take."""

    # -- protocol: schema, checks, base images -------------------------------------------------

    def schema(self) -> ProviderSchema:
        return SCHEMA

    def check(self, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        kind = Kind(kind)
        if kind is Kind.TEMPLATE:
            return self._preflight.template(desired, address)
        if kind is Kind.COPY:
            return self._preflight.region(desired.get("region"), address) + self._endpoint_reaches(desired, address)
        if kind is Kind.SHARE:
            diags = self._preflight.region(desired.get("region"), address)
            account = desired.get("account")
            if is_known(account) and not str(account).isdigit():
                diags.append(error(f'Invalid account id "{account}"',
                                   "Alibaba Cloud account ids are digits only (for example 1234567890123456).",
                                   address=address))
            region = desired.get("region")
            if self.encrypted and is_known(region) and region != self.region and not self.kms_key_ids.get(str(region)):
                diags.append(error(
                    "An encrypted copy cannot be shared without a KMS key",
                    f"encrypted = true makes the copy in {region} encrypted with the service key, and Alibaba Cloud "
                    f"refuses to share such images (OperationDeined.EncryptedSnapshot). Give {region} a key of your "
                    "own in kms_key_ids, or stop sharing in that region.", address=address))
            return diags
        return []

    def _endpoint_reaches(self, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        """A fixed regional endpoint (one naming the home region, without ``{region}``) would send
        the other regions' requests to the home region's host."""
        region = desired.get("region")
        ep = self.endpoint or ""
        if not is_known(region) or region == self.region or "{region}" in ep or self.region not in ep:
            return []
        return [error("The endpoint serves one region only",
                      f'endpoint "{ep}" is the endpoint of {self.region}, but this copy goes to {region}, whose '
                      f"requests must go to its own endpoint. Write the region as {{region}} in the endpoint "
                      f'(for example "{ep.replace(self.region, "{region}")}").', address=address)]

    def resolve_base_image(self, image: str | None, family: str | None) -> str:
        # Asked for every template (and again by its check): one lookup per name per process.
        key = (image, family)
        if key not in self._base_images:
            self._base_images[key] = self._reader.call(lambda: self._resolve_base_image(image, family))
        return self._base_images[key]

    def _resolve_base_image(self, image: str | None, family: str | None) -> str:
        if image:
            found = [i for i in self._images.describe(self.region, image_id=image, status="Available,Deprecated")
                     if i.image_id == image]
            if found:
                return str(found[0].image_id)
            named = [i for i in self._images.describe(self.region, image_name=image, status="Available")
                     if i.image_name == image]
            if named:
                return str(max(named, key=lambda i: (i.creation_time or "", i.image_id)).image_id)
            raise ProviderError("InvalidImage.NotFound",
                                f'No available image with id or name "{image}" exists in {self.region}.')
        if family:
            members = self._images.describe(self.region, image_family=family, status="Available")
            if members:
                return str(max(members, key=lambda i: (i.creation_time or "", i.image_id)).image_id)
            raise ProviderError("InvalidImageFamily.NotFound",
                                f'The image family "{family}" has no available image in {self.region}.')
        raise ProviderError("InvalidImage.NotFound", "Neither a base image nor an image family was given.")

    # -- protocol: lifecycle --------------------------------------------------------------------

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        kind, tok = Kind(kind), client_token(token)
        self._changed(kind, desired)
        try:
            return self._start(kind, desired, tok)
        except ProviderError as err:
            # Refused for good, or refused because of what an earlier attempt made (a duplicate
            # name, a version in use, a build already running): adopt that object if it is ours.
            if not err.retryable or err.code in ("InvalidImagePipeline.HasRunningExecution",
                                                  "OperationDenied.ImageCopyConflict"):
                adopted = self._reader.call(lambda: self._adopt(kind, desired))
                if adopted is not None:
                    return adopted
            raise

    def _changed(self, kind: Kind, attrs: Mapping[str, Any], id: str | None = None) -> None:
        """Listings of the region this call changes are stale from now on."""
        if kind in (Kind.COMPONENT, Kind.TEMPLATE, Kind.IMAGE):
            self._listings.changed(self.region)
        region = str(attrs.get("region") or self.region)
        if kind in (Kind.COPY, Kind.IMAGE):
            self._listings.changed(region, id)
        elif kind is Kind.SHARE:
            image_id = str(attrs.get("image_id") or (id or "").rsplit("/", 1)[0])
            self._listings.changed(region, image_id)

    def _start(self, kind: Kind, desired: Mapping[str, Any], tok: str) -> dict[str, Any]:
        group = self.resource_group_id
        if kind is Kind.COMPONENT:
            body = self._api.call(self.region, "create_image_component",
                                  component_request(self.region, desired, tok, group))
            return {"id": body.image_component_id, "region": self.region}
        if kind is Kind.TEMPLATE:
            body = self._api.call(self.region, "create_image_pipeline", template_request(self.region, desired, tok, group))
            return {"id": body.image_pipeline_id, "region": self.region}
        if kind is Kind.IMAGE:
            template_id = str(desired["template_id"])
            tags = imgb_tags(desired, desired.get("image_tags"))  # the built image's, counted before anything starts
            req = ecs.StartImagePipelineExecutionRequest(
                region_id=self.region, image_pipeline_id=template_id, client_token=tok,
                tag=[ecs.StartImagePipelineExecutionRequestTag(key=k, value=v) for k, v in imgb_tags(desired).items()])
            body = self._api.call(self.region, "start_image_pipeline_execution", req)
            return self._build_handle(str(body.execution_id), template_id, tags)
        if kind is Kind.COPY:
            return self._start_copy(desired, tok)
        if kind is Kind.SHARE:
            region, image_id, account = str(desired["region"]), str(desired["image_id"]), str(desired["account"])
            self._sharer.share(region, image_id, account)
            return {"image_id": image_id, "region": region, "account": account}
        raise ValueError(f"unknown kind {kind}")

    def _build_handle(self, execution_id: str, template_id: str, tags: Mapping[str, str]) -> dict[str, Any]:
        return {"execution_id": execution_id, "template_id": template_id, "region": self.region, "tags": dict(tags),
                "started": time.time()}

    def _start_copy(self, desired: Mapping[str, Any], tok: str) -> dict[str, Any]:
        source_region = str(desired.get("source_region") or self.region)
        region, source_id = str(desired["region"]), str(desired["source_image_id"])
        name = self._available.get(source_id)  # a build this process saw Available: no need to look again
        if name is None:
            source = self._images.get(source_region, source_id)
            if source is None:
                raise ProviderError("InvalidImageId.NotFound",
                                    f"The image {source_id} to copy is gone from {source_region}.")
            if source.status != "Available":
                # CopyImage takes only Available images; a new build's image may still be Creating.
                raise ProviderError("IncorrectImageStatus",
                                    f"The image {source_id} is {source.status}, not Available yet.", retryable=True)
            name = copy_name(source, str(desired.get("image_name") or "imgb"))
        kms = self.kms_key_ids.get(region)
        req = ecs.CopyImageRequest(
            region_id=source_region, image_id=source_id, destination_region_id=region, destination_image_name=name,
            encrypted=True if self.encrypted else None, kmskey_id=kms or None,
            resource_group_id=self.resource_group_id, client_token=tok,
            tag=[ecs.CopyImageRequestTag(key=k, value=v) for k, v in imgb_tags(desired).items()])
        body = self._api.call(source_region, "copy_image", req)
        return self._copy_handle(str(body.image_id), region, source_id, source_region, name)

    @staticmethod
    def _copy_handle(image_id: str, region: str, source_id: str, source_region: str, name: str) -> dict[str, Any]:
        return {"id": image_id, "region": region, "source_image_id": source_id, "source_region": source_region,
                "name": name, "started": time.time()}

    # -- adoption: what an earlier attempt made -----------------------------------------------------

    def _adopt(self, kind: Kind, desired: Mapping[str, Any]) -> dict[str, Any] | None:
        want = imgb_tags(desired).get(HASH)
        if kind is Kind.COMPONENT and desired.get("name") and desired.get("version"):
            req = ecs.DescribeImageComponentsRequest(region_id=self.region, name=str(desired["name"]), max_results=500)
            body = self._api.call(self.region, "describe_image_components", req)
            for c in body.image_component.image_component_set or []:
                if c.component_version == desired["version"] and from_wire(c.tags).get(HASH) == want:
                    return {"id": c.image_component_id, "region": self.region}
        elif kind is Kind.TEMPLATE and desired.get("name"):
            req2 = ecs.DescribeImagePipelinesRequest(region_id=self.region, name=str(desired["name"]), max_results=500,
                                                     tag=[ecs.DescribeImagePipelinesRequestTag(key=HASH, value=want)])
            body2 = self._api.call(self.region, "describe_image_pipelines", req2)
            found = sorted(body2.image_pipeline.image_pipeline_set or [], key=lambda p: p.creation_time or "")
            if found:
                return {"id": found[-1].image_pipeline_id, "region": self.region}
        elif kind is Kind.IMAGE:
            template_id = str(desired["template_id"])
            req3 = ecs.DescribeImagePipelineExecutionsRequest(region_id=self.region, image_pipeline_id=template_id,
                                                              status=",".join(RUNNING), max_results=500)
            body3 = self._api.call(self.region, "describe_image_pipeline_executions", req3)
            for ex in body3.image_pipeline_execution.image_pipeline_execution_set or []:
                if from_wire(ex.tags).get(HASH) == want:  # a build of this very content, still running
                    return self._build_handle(str(ex.execution_id), template_id,
                                              imgb_tags(desired, desired.get("image_tags")))
        elif kind is Kind.COPY:
            region, source_id = str(desired["region"]), str(desired["source_image_id"])
            source_region = str(desired.get("source_region") or self.region)
            source = self._images.get(source_region, source_id)
            if source is not None:
                name = copy_name(source, str(desired.get("image_name") or "imgb"))
                for img in self._images.named(region, name):
                    if from_wire(img.tags).get(HASH) == want:
                        return self._copy_handle(str(img.image_id), region, source_id, source_region, name)
        return None

    # -- waiting ----------------------------------------------------------------------------------

    def wait(self, kind: Kind, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        kind = Kind(kind)
        if kind is Kind.COMPONENT:
            comp = self._poller.call(lambda: self._component(str(handle["id"])))
            if comp is None:
                raise ProviderError("InvalidImageComponent.NotFound", f"The component {handle['id']} vanished.")
            return component_attributes(comp)
        if kind is Kind.TEMPLATE:
            return {"id": handle["id"]}
        if kind is Kind.IMAGE:
            return self._wait_build(handle, progress)
        if kind is Kind.COPY:
            return self._wait_copy(handle, progress)
        if kind is Kind.SHARE:
            return {"id": f"{handle['image_id']}/{handle['account']}", "image_id": handle["image_id"],
                    "region": handle["region"], "account": handle["account"]}
        raise ValueError(f"unknown kind {kind}")

    def _gone_unless_new(self, handle: Mapping[str, Any], what: str, code: str) -> None:
        """A new build, image or copy can take a while to be listed: within ``listing_grace`` of its
        start, "not listed" means wait (the operation keeps its record, nothing is started twice);
        after it, the object is gone for good."""
        if time.time() - float(handle.get("started") or 0.0) >= self.listing_grace:
            raise ProviderError(code, f"{what} no longer exists.")

    def _wait_build(self, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        region = str(handle.get("region") or self.region)
        execution_id, template_id = str(handle["execution_id"]), str(handle["template_id"])
        with self._watch_lock:
            self._watched.setdefault(region, set()).add(execution_id)
        try:
            return self._follow_build(region, execution_id, template_id, handle, progress)
        finally:
            with self._watch_lock:
                self._watched[region].discard(execution_id)

    def _follow_build(self, region: str, execution_id: str, template_id: str, handle: Mapping[str, Any],
                      progress: Progress) -> dict[str, Any]:
        last: tuple[str, str] | None = None
        self._settle(handle, self._poller)
        while True:
            ex = self._poller.call(lambda: self._polled_execution(region, execution_id, handle))
            if ex is None:
                self._gone_unless_new(handle, f"The build {execution_id} of template {template_id} (deleting a "
                                      "template deletes its builds)", "InvalidImagePipelineExecution.NotFound")
                self._poller.sleep()
                continue
            status = str(ex.status)
            if (status, ex.message or "") != last:
                last = (status, ex.message or "")
                progress(ex.message or status, phase=status)
            if status in ("SUCCESS", "PARTITION_SUCCESS", "TEST_FAILED"):
                return self._built(region, ex, handle, progress)
            if status == "CANCELLED":
                self._discard_image(region, ex)
                raise Cancelled(f"the build {execution_id} was cancelled")
            if status == "FAILED":
                self._discard_image(region, ex)
                raise ProviderError(ex.error_code or "BuildFailed",
                                    self._api.redact(ex.error_info or ex.message or "the build failed"))
            self._poller.sleep()

    def _discard_image(self, region: str, ex: Any) -> None:
        """A failed or cancelled build that left an image behind: delete it (and its snapshots),
        since nothing will ever record it."""
        if ex.image_id:
            self._poller.call(lambda: self._images.delete(region, str(ex.image_id)))

    def _built(self, region: str, ex: Any, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        status = str(ex.status)
        image_id = str(ex.image_id or "")
        if not image_id:
            raise ProviderError("BuildFailed", f"The build {ex.execution_id} ended {status} without an image.")
        if status == "PARTITION_SUCCESS":
            # imgb never asks Image Builder to distribute, so a partial distribution only concerns
            # cleanup; the image in the home region is whole.
            progress(f"built with warnings: {ex.error_info or ex.message or status}", phase=status)
        with self._watching(region, handle):
            img = self._wait_available(region, image_id, handle, progress)
        self._available[image_id] = copy_name(img, str(img.image_name or "imgb"))
        tags = {str(k): str(v) for k, v in (handle.get("tags") or {}).items()}
        missing = {k: v for k, v in tags.items() if from_wire(img.tags).get(k) != v}
        if missing:
            req = ecs.TagResourcesRequest(region_id=region, resource_type="image", resource_id=[image_id],
                                          tag=[ecs.TagResourcesRequestTag(key=k, value=v) for k, v in missing.items()])
            self._poller.call(lambda: self._api.call(region, "tag_resources", req))
        return {"id": image_id, "region": region, "status": "TEST_FAILED" if status == "TEST_FAILED" else "Available",
                "size": img.size, "execution_id": ex.execution_id, "template_id": handle["template_id"],
                "name": img.image_name, "snapshot_ids": snapshot_ids(img)}

    def _wait_available(self, region: str, image_id: str, handle: Mapping[str, Any], progress: Progress) -> Any:
        """The build's image once it is Available: an execution's end does not promise that, and
        only Available images can be copied or shared."""
        announced = False
        while True:
            img = self._poller.call(lambda: self._polled_image(region, image_id, handle, self._poll_every))
            if img is None:
                self._gone_unless_new(handle, f"The image {image_id} of build {handle.get('execution_id')}",
                                      "InvalidImageId.NotFound")
                self._poller.sleep()
                continue
            if img.status == "Available":
                return img
            if img.status in ("CreateFailed", "UnAvailable"):
                self._poller.call(lambda: self._images.delete(region, image_id))
                raise ProviderError("BuildFailed", f"The image {image_id} of the build ended {img.status}.")
            if not announced:
                progress(f"waiting for image {image_id} to be available ({img.status})", phase=str(img.status))
                announced = True
            self._poller.sleep()

    def _wait_copy(self, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        with self._watching(str(handle["region"]), handle):
            return self._follow_copy(handle, progress)

    def _follow_copy(self, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        region, image_id = str(handle["region"]), str(handle["id"])
        last = ""
        self._settle(handle, self._copy_poller)
        while True:
            img = self._copy_poller.call(lambda: self._polled_image(region, image_id, handle, self._copy_poll_every))
            if img is None:
                if image_id in self._cancelled:
                    raise Cancelled(f"the copy {image_id} was cancelled")
                self._gone_unless_new(handle, f"The copy {image_id} in {region}", "InvalidImageId.NotFound")
                self._copy_poller.sleep()
                continue
            status = str(img.status)
            if f"{status} {img.progress}" != last:
                last = f"{status} {img.progress}"
                progress(f"copying to {region}: {status} {img.progress or ''}".strip(), phase=status)
            if status == "Available":
                return {"id": image_id, "region": region, "source_image_id": handle.get("source_image_id"),
                        "size": img.size, "name": img.image_name, "snapshot_ids": snapshot_ids(img)}
            if status in ("CreateFailed", "UnAvailable"):
                # A failed copy is deleted here (it holds the name and a snapshot): the next apply
                # copies afresh.
                self._copy_poller.call(lambda: self._images.delete(region, image_id))
                raise ProviderError("CopyFailed", f"The copy {image_id} into {region} ended {status}; it was deleted.")
            self._copy_poller.sleep()

    # -- reading and deleting ---------------------------------------------------------------------

    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._reader.call(lambda: self._read(Kind(kind), id, attrs))

    def _read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        if kind is Kind.COMPONENT:
            comp = self._listings.components.get("").get(id) or self._component(id)
            return component_attributes(comp) if comp is not None else None
        if kind is Kind.TEMPLATE:
            tmpl = self._listings.templates.get("").get(id) or self._template(id)
            return template_attributes(tmpl) if tmpl is not None else None
        if kind in (Kind.IMAGE, Kind.COPY):
            region = str(attrs.get("region") or self.region)
            img = self._listings.images.get(region).get(id) or self._images.get(region, id)
            if img is None:
                return None
            out = {**attrs, "id": img.image_id, "region": region, "size": img.size, "image_status": img.status}
            if kind is Kind.IMAGE:
                # TEST_FAILED is the build's verdict, not the image's: keep it once recorded.
                out["status"] = attrs.get("status") if attrs.get("status") == "TEST_FAILED" else img.status
            return out
        if kind is Kind.SHARE:
            image_id, account = id.rsplit("/", 1)
            region = str(attrs.get("region") or self.region)
            if account not in self._listings.shares.get(f"{region}/{image_id}"):
                return None
            return {"id": id, "image_id": image_id, "region": region, "account": account}
        raise ValueError(f"unknown kind {kind}")

    def delete(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        kind = Kind(kind)
        self._changed(kind, attrs, id)
        try:
            if kind is Kind.COMPONENT:
                self._api.call(self.region, "delete_image_component",
                               ecs.DeleteImageComponentRequest(region_id=self.region, image_component_id=id))
            elif kind is Kind.TEMPLATE:
                self._api.call(self.region, "delete_image_pipeline",
                               ecs.DeleteImagePipelineRequest(region_id=self.region, image_pipeline_id=id))
            elif kind in (Kind.IMAGE, Kind.COPY):
                self._images.delete(str(attrs.get("region") or self.region), id, attrs.get("snapshot_ids") or ())
            elif kind is Kind.SHARE:
                image_id, account = id.rsplit("/", 1)
                self._sharer.unshare(str(attrs.get("region") or self.region), image_id, account)
        except ProviderError as err:
            if not is_not_found(err):
                raise

    def release(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        """Leftovers: the snapshots of an image or copy found gone (DeleteImage keeps them)."""
        if Kind(kind) in (Kind.IMAGE, Kind.COPY):
            self._images.release(str(attrs.get("region") or self.region), id, attrs.get("snapshot_ids") or ())

    def cancel(self, kind: Kind, handle: Mapping[str, Any]) -> None:
        kind = Kind(kind)
        self._changed(kind, handle, str(handle.get("id") or ""))
        try:
            if kind is Kind.IMAGE:
                region = str(handle.get("region") or self.region)
                self._api.call(region, "cancel_image_pipeline_execution", ecs.CancelImagePipelineExecutionRequest(
                    region_id=region, execution_id=str(handle["execution_id"])))
            elif kind is Kind.COPY:
                self._cancelled.add(str(handle["id"]))
                self._api.call(str(handle["region"]), "cancel_copy_image",
                               ecs.CancelCopyImageRequest(region_id=str(handle["region"]), image_id=str(handle["id"])))
        except ProviderError as err:
            # Too late to cancel (already finished or past the cancellable phases): wait reports the end.
            if not (is_not_found(err) or err.code.startswith("InvalidStatus") or err.code == "IncorrectImageStatus"):
                raise

    def logs(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> str:
        """Image Builder keeps no build log reachable through the API; the execution's last
        status and message are the closest thing."""
        if Kind(kind) is not Kind.IMAGE or not attrs.get("execution_id"):
            return ""
        ex = self._execution(str(attrs.get("region") or self.region), str(attrs["execution_id"]),
                             str(attrs.get("template_id") or "") or None)
        if ex is None:
            return ""
        lines = [f"execution {ex.execution_id}: {ex.status}", ex.message or ""]
        if ex.error_code:
            lines.append(f"{ex.error_code}: {ex.error_info or ''}")
        return "\n".join(line for line in lines if line) + "\n"

    # -- the Pricing capability (imgb plan's cost estimate) -----------------------------------------

    def build_price(self, instance_type: str | None, system_disk_size: int | None) -> Quote:
        return self._pricing.build_price(instance_type, system_disk_size)

    def storage_price(self, region: str) -> Quote:
        return self._pricing.storage_price(region)

    def image_gib(self, attrs: Mapping[str, Any]) -> float | None:
        return self._pricing.image_gib(attrs)

    def close(self) -> None:
        pass

    # -- shares (also used by tests and the acceptance suite) ---------------------------------------

    def modify_shares(self, region: str, image_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Share with ``add`` and unshare ``remove``, ten accounts per call."""
        self._listings.changed(region, image_id)
        self._images.modify_shares(region, image_id, add, remove)

    def shared_accounts(self, region: str, image_id: str) -> set[str]:
        return self._images.shared_accounts(region, image_id)

    # -- helpers --------------------------------------------------------------------------------

    def _component(self, id: str) -> Any:
        body = self._api.call(self.region, "describe_image_components",
                              ecs.DescribeImageComponentsRequest(region_id=self.region, image_component_id=[id]))
        found = [c for c in body.image_component.image_component_set or [] if c.image_component_id == id]
        return found[0] if found else None

    def _template(self, id: str) -> Any:
        body = self._api.call(self.region, "describe_image_pipelines",
                              ecs.DescribeImagePipelinesRequest(region_id=self.region, image_pipeline_id=[id]))
        found = [p for p in body.image_pipeline.image_pipeline_set or [] if p.image_pipeline_id == id]
        return found[0] if found else None

    @staticmethod
    def _settle(handle: Mapping[str, Any], poller: Poller) -> None:
        """A build or copy just started is not done yet: its first look waits one interval (and then
        shares the region's next listing with the other waits)."""
        if time.time() - float(handle.get("started") or 0.0) < poller.interval:
            poller.sleep()

    def _poll_floor(self, handle: Mapping[str, Any], every: float) -> float:
        """A poll accepts an answer fetched within the last interval, and after the operation started."""
        return max(time.time() - every * 0.9, float(handle.get("started") or 0.0))

    def _polled_image(self, region: str, image_id: str, handle: Mapping[str, Any], every: float) -> Any:
        """The image as of a listing of its region's recent images fetched within the last interval
        (one listing serves every wait in the region), else by its id."""
        listing = self._listings.recent.get(region, newer_than=self._poll_floor(handle, every))
        return listing.get(image_id) or self._images.get(region, image_id)

    def _watching(self, region: str, handle: Mapping[str, Any]) -> contextlib.AbstractContextManager[None]:
        """Registers a wait on an image in ``region`` for as long as it lasts: the region's polls list
        what was created since the oldest such wait started."""
        key = str(handle.get("id") or handle.get("execution_id"))
        started = float(handle.get("started") or 0.0)

        @contextlib.contextmanager
        def watch() -> Iterator[None]:
            with self._watch_lock:
                self._watched_images.setdefault(region, {})[key] = started
            try:
                yield
            finally:
                with self._watch_lock:
                    self._watched_images[region].pop(key, None)

        return watch()

    def _oldest_wait(self, region: str) -> float | None:
        with self._watch_lock:
            starts = list(self._watched_images.get(region, {}).values())
        return min(starts) if starts and min(starts) > 0 else None

    def _polled_execution(self, region: str, execution_id: str, handle: Mapping[str, Any]) -> Any:
        """The execution as of one query for every execution waited on in the region, fetched
        within the last interval; else by its id."""
        found = self._executions.get(region, newer_than=self._poll_floor(handle, self._poll_every))
        return found.get(execution_id) or self._execution(region, execution_id, None)

    def _list_executions(self, region: str) -> dict[str, Any]:
        """The executions waited on in ``region``, 20 ids per DescribeImagePipelineExecutions
        (``ExecutionId`` takes a list; its page documents a maximum size without saying it)."""
        with self._watch_lock:
            ids = sorted(self._watched.get(region, ()))
        out: dict[str, Any] = {}
        for i in range(0, len(ids), self._execution_batch):
            chunk = ids[i:i + self._execution_batch]
            if len(chunk) < 2:
                continue  # a lone execution is read by its id
            req = ecs.DescribeImagePipelineExecutionsRequest(region_id=region, execution_id=",".join(chunk),
                                                             max_results=500)
            try:
                body = self._api.call(region, "describe_image_pipeline_executions", req)
            except ProviderError as err:
                if err.code != "InvalidExecutionId.SizeExceeded":
                    raise
                self._execution_batch = max(1, len(chunk) // 2)  # smaller lists from now on; by id this time
                continue
            found = {e.execution_id: e for e in body.image_pipeline_execution.image_pipeline_execution_set or []}
            if not found and self._execution(region, chunk[0], None) is not None:
                self._execution_batch = 1  # the service reads ExecutionId as one id: no lists from now on
            out.update(found)
        return out

    def _execution(self, region: str, execution_id: str, template_id: str | None) -> Any:
        req = ecs.DescribeImagePipelineExecutionsRequest(region_id=region, execution_id=execution_id,
                                                         image_pipeline_id=template_id)
        body = self._api.call(region, "describe_image_pipeline_executions", req)
        found = [e for e in body.image_pipeline_execution.image_pipeline_execution_set or []
                 if e.execution_id == execution_id]
        return found[0] if found else None


__all__ = ["ALL_STATUSES", "AlicloudProvider", "client_token"]
