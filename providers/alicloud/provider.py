"""AlicloudProvider: imgb's five kinds on ECS Image Builder through the official Python SDK.

component → CreateImageComponent / DescribeImageComponents / DeleteImageComponent
template  → CreateImagePipeline / DescribeImagePipelines / DeleteImagePipeline
image     → StartImagePipelineExecution, polled with DescribeImagePipelineExecutions; DescribeImages
            / DeleteImage; CancelImagePipelineExecution
copy      → CopyImage, polled with DescribeImages in the destination region
share     → ModifyImageSharePermission / DescribeImageSharePermission

Every create sends the engine's token as ``ClientToken``, so a retry after a lost response
returns the same object instead of making a second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from alibabacloud_ecs20140526 import models as ecs

from imgb.addresses import Kind
from imgb.diagnostics import Diagnostic, error
from imgb.providers.base import Cancelled, KindSchema, Limits, Progress, ProviderError, ProviderSchema

from .api import EcsApi
from .credentials import credential_client
from .definitions import component_attributes, component_request, template_attributes, template_request
from .errors import is_not_found
from .polling import Poller
from .preflight import Preflight, is_known
from .tagging import imgb_tags

IMAGE_STATUSES = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated"
"""DescribeImages lists only Available images unless Status is given (reference §4.4)."""
RUNNING = ("PREPARING", "REPAIRING", "BUILDING", "TESTING", "DISTRIBUTING", "RELEASING", "CANCELLING")
SHARE_BATCH = 10
"""ModifyImageSharePermission silently ignores accounts past the tenth (reference §4.2)."""

_COMPONENT_ATTRS = frozenset({"name", "version", "type", "system_type", "description", "content", "tags"})
_TEMPLATE_ATTRS = frozenset({
    "name", "description", "base_image", "base_image_family", "build_content", "test_content", "instance_type",
    "system_disk_size", "internet_max_bandwidth_out", "vswitch_id", "delete_instance_on_failure", "image_name",
    "image_family", "image_description", "image_tags", "tags",
})


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
        protocol: str = "https",
        credentials: Any = None,
        poll_interval: float = 10.0,
        copy_poll_interval: float | None = None,
        read_timeout_ms: int = 30_000,
        connect_timeout_ms: int = 10_000,
        max_transient_errors: int = 30,
        max_backoff: float = 60.0,
    ):
        """``credentials`` is an ``alibabacloud_credentials`` client; without it the default chain
        (or the CLI ``profile``) is used. ``endpoint`` is ``host[:port]`` (a scheme is stripped and
        taken as the protocol)."""
        if endpoint and "://" in endpoint:
            protocol, _, endpoint = endpoint.partition("://")
            endpoint = endpoint.rstrip("/")
        self.region = region
        self._api = EcsApi(credentials or credential_client(profile), endpoint=endpoint or None, protocol=protocol,
                           read_timeout_ms=read_timeout_ms, connect_timeout_ms=connect_timeout_ms)
        self._poller = Poller(poll_interval, max_transient_errors, max_backoff)
        self._copy_poller = Poller(copy_poll_interval if copy_poll_interval is not None else poll_interval,
                                   max_transient_errors, max_backoff)
        # Reads (refresh, base images) are retried too: a throttled Describe must not fail a plan.
        self._reader = Poller(min(poll_interval, 0.5), min(max_transient_errors, 8), max_backoff)
        self._preflight = Preflight(self._api, region, self.resolve_base_image)
        self._cancelled: set[str] = set()

    # -- protocol: schema, checks, base images -------------------------------------------------

    def schema(self) -> ProviderSchema:
        return ProviderSchema(
            kinds={
                Kind.COMPONENT: KindSchema(force_new=_COMPONENT_ATTRS, computed=frozenset({"id"})),
                Kind.TEMPLATE: KindSchema(force_new=_TEMPLATE_ATTRS, computed=frozenset({"id"})),
                Kind.IMAGE: KindSchema(
                    force_new=frozenset({"template_id", "content_hash"}),
                    computed=frozenset({"id", "region", "status", "size", "execution_id"}),
                    long_running=True,
                ),
                Kind.COPY: KindSchema(
                    force_new=frozenset({"source_image_id", "source_region", "region", "content_hash"}),
                    computed=frozenset({"id"}),
                    long_running=True,
                ),
                Kind.SHARE: KindSchema(force_new=frozenset({"image_id", "region", "account"}),
                                       computed=frozenset({"id"})),
            },
            limits=Limits(builds_per_template=1, copies_per_region=5),
        )

    def check(self, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        kind = Kind(kind)
        if kind is Kind.TEMPLATE:
            return self._preflight.template(desired, address)
        if kind is Kind.COPY:
            return self._preflight.region(desired.get("region"), address)
        if kind is Kind.SHARE:
            diags = self._preflight.region(desired.get("region"), address)
            account = desired.get("account")
            if is_known(account) and not str(account).isdigit():
                diags.append(error(f'Invalid account id "{account}"',
                                   "Alibaba Cloud account ids are digits only (for example 1234567890123456).",
                                   address=address))
            return diags
        return []

    def resolve_base_image(self, image: str | None, family: str | None) -> str:
        return self._reader.call(lambda: self._resolve_base_image(image, family))

    def _resolve_base_image(self, image: str | None, family: str | None) -> str:
        if image:
            found = self._images(self.region, image_id=image, status="Available,Deprecated")
            if found:
                return str(found[0].image_id)
            named = [i for i in self._images(self.region, image_name=image, status="Available") if i.image_name == image]
            if named:
                return str(max(named, key=lambda i: (i.creation_time or "", i.image_id)).image_id)
            raise ProviderError("InvalidImage.NotFound",
                                f'No available image with id or name "{image}" exists in {self.region}.')
        if family:
            members = self._images(self.region, image_family=family, status="Available")
            if members:
                return str(max(members, key=lambda i: (i.creation_time or "", i.image_id)).image_id)
            raise ProviderError("InvalidImageFamily.NotFound",
                                f'The image family "{family}" has no available image in {self.region}.')
        raise ProviderError("InvalidImage.NotFound", "Neither a base image nor an image family was given.")

    # -- protocol: lifecycle --------------------------------------------------------------------

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        kind, tok = Kind(kind), client_token(token)
        if kind is Kind.COMPONENT:
            body = self._api.call(self.region, "create_image_component", component_request(self.region, desired, tok))
            return {"id": body.image_component_id, "region": self.region}
        if kind is Kind.TEMPLATE:
            body = self._api.call(self.region, "create_image_pipeline", template_request(self.region, desired, tok))
            return {"id": body.image_pipeline_id, "region": self.region}
        if kind is Kind.IMAGE:
            template_id = str(desired["template_id"])
            req = ecs.StartImagePipelineExecutionRequest(
                region_id=self.region, image_pipeline_id=template_id, client_token=tok,
                tag=[ecs.StartImagePipelineExecutionRequestTag(key=k, value=v) for k, v in imgb_tags(desired).items()])
            body = self._api.call(self.region, "start_image_pipeline_execution", req)
            tags = imgb_tags(desired, desired.get("image_tags"))
            return {"execution_id": body.execution_id, "template_id": template_id, "region": self.region, "tags": tags}
        if kind is Kind.COPY:
            source_region = str(desired.get("source_region") or self.region)
            region = str(desired["region"])
            name = desired.get("image_name") or None
            req = ecs.CopyImageRequest(
                region_id=source_region, image_id=str(desired["source_image_id"]), destination_region_id=region,
                destination_image_name=name, client_token=tok,
                tag=[ecs.CopyImageRequestTag(key=k, value=v) for k, v in imgb_tags(desired).items()])
            body = self._api.call(source_region, "copy_image", req)
            return {"id": body.image_id, "region": region, "source_image_id": desired["source_image_id"],
                    "source_region": source_region}
        if kind is Kind.SHARE:
            region, image_id, account = str(desired["region"]), str(desired["image_id"]), str(desired["account"])
            self.modify_shares(region, image_id, add=[account])
            return {"image_id": image_id, "region": region, "account": account}
        raise ValueError(f"unknown kind {kind}")

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

    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._reader.call(lambda: self._read(Kind(kind), id, attrs))

    def _read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        if kind is Kind.COMPONENT:
            comp = self._component(id)
            return component_attributes(comp) if comp is not None else None
        if kind is Kind.TEMPLATE:
            body = self._api.call(self.region, "describe_image_pipelines",
                                  ecs.DescribeImagePipelinesRequest(region_id=self.region, image_pipeline_id=[id]))
            found = [p for p in body.image_pipeline.image_pipeline_set or [] if p.image_pipeline_id == id]
            return template_attributes(found[0]) if found else None
        if kind in (Kind.IMAGE, Kind.COPY):
            region = str(attrs.get("region") or self.region)
            images = self._images(region, image_id=id, status=IMAGE_STATUSES)
            if not images:
                return None
            img = images[0]
            out = {**attrs, "id": img.image_id, "region": region, "size": img.size, "image_status": img.status}
            if kind is Kind.IMAGE:
                # TEST_FAILED is the build's verdict, not the image's: keep it once recorded.
                out["status"] = attrs.get("status") if attrs.get("status") == "TEST_FAILED" else img.status
            return out
        if kind is Kind.SHARE:
            image_id, account = id.rsplit("/", 1)
            region = str(attrs.get("region") or self.region)
            if account not in self.shared_accounts(region, image_id):
                return None
            return {"id": id, "image_id": image_id, "region": region, "account": account}
        raise ValueError(f"unknown kind {kind}")

    def delete(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        kind = Kind(kind)
        try:
            if kind is Kind.COMPONENT:
                self._api.call(self.region, "delete_image_component",
                               ecs.DeleteImageComponentRequest(region_id=self.region, image_component_id=id))
            elif kind is Kind.TEMPLATE:
                self._api.call(self.region, "delete_image_pipeline",
                               ecs.DeleteImagePipelineRequest(region_id=self.region, image_pipeline_id=id))
            elif kind in (Kind.IMAGE, Kind.COPY):
                region = str(attrs.get("region") or self.region)
                self._api.call(region, "delete_image", ecs.DeleteImageRequest(region_id=region, image_id=id))
            elif kind is Kind.SHARE:
                image_id, account = id.rsplit("/", 1)
                self.modify_shares(str(attrs.get("region") or self.region), image_id, remove=[account])
        except ProviderError as err:
            if not is_not_found(err):
                raise

    def cancel(self, kind: Kind, handle: Mapping[str, Any]) -> None:
        kind = Kind(kind)
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
            if not (is_not_found(err) or err.code.startswith("InvalidStatus")):
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

    def close(self) -> None:
        pass

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
                                                          page_size=100)
            try:
                body = self._api.call(region, "describe_image_share_permission", req)
            except ProviderError as err:
                if is_not_found(err):
                    return set()
                raise
            batch = body.accounts.account if body.accounts else []
            accounts |= {a.aliyun_id for a in batch or []}
            if not batch or page * 100 >= (body.total_count or 0):
                return accounts
            page += 1

    # -- helpers --------------------------------------------------------------------------------

    def _component(self, id: str) -> Any:
        body = self._api.call(self.region, "describe_image_components",
                              ecs.DescribeImageComponentsRequest(region_id=self.region, image_component_id=[id]))
        found = [c for c in body.image_component.image_component_set or [] if c.image_component_id == id]
        return found[0] if found else None

    def _images(self, region: str, *, status: str, image_id: str | None = None, image_name: str | None = None,
                image_family: str | None = None) -> list[Any]:
        out: list[Any] = []
        page = 1
        while True:
            req = ecs.DescribeImagesRequest(region_id=region, image_id=image_id, image_name=image_name,
                                            image_family=image_family, status=status, page_number=page, page_size=100)
            body = self._api.call(region, "describe_images", req)
            batch = body.images.image if body.images else []
            out += batch or []
            if not batch or page * 100 >= (body.total_count or 0) or image_id:
                return out
            page += 1

    def _execution(self, region: str, execution_id: str, template_id: str | None) -> Any:
        req = ecs.DescribeImagePipelineExecutionsRequest(region_id=region, execution_id=execution_id,
                                                         image_pipeline_id=template_id)
        body = self._api.call(region, "describe_image_pipeline_executions", req)
        found = [e for e in body.image_pipeline_execution.image_pipeline_execution_set or []
                 if e.execution_id == execution_id]
        return found[0] if found else None

    def _wait_build(self, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        region = str(handle.get("region") or self.region)
        execution_id, template_id = str(handle["execution_id"]), str(handle["template_id"])
        last: tuple[str, str] | None = None
        while True:
            ex = self._poller.call(lambda: self._execution(region, execution_id, None))
            if ex is None:
                raise ProviderError("InvalidImagePipelineExecution.NotFound",
                                    f"The build {execution_id} of template {template_id} no longer exists "
                                    "(deleting a template deletes its builds).")
            status = str(ex.status)
            if (status, ex.message or "") != last:
                last = (status, ex.message or "")
                progress(ex.message or status, phase=status)
            if status in ("SUCCESS", "PARTITION_SUCCESS", "TEST_FAILED"):
                return self._built(region, ex, handle, progress)
            if status == "CANCELLED":
                raise Cancelled(f"the build {execution_id} was cancelled")
            if status == "FAILED":
                partial = {"id": ex.image_id, "region": region} if ex.image_id else None
                raise ProviderError(ex.error_code or "BuildFailed",
                                    self._api.redact(ex.error_info or ex.message or "the build failed"),
                                    partial=partial)
            self._poller.sleep()

    def _built(self, region: str, ex: Any, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        status = str(ex.status)
        image_id = str(ex.image_id or "")
        if not image_id:
            raise ProviderError("BuildFailed", f"The build {ex.execution_id} ended {status} without an image.")
        if status == "PARTITION_SUCCESS":
            # imgb never asks Image Builder to distribute, so a partial distribution only concerns
            # cleanup; the image in the home region is whole.
            progress(f"built with warnings: {ex.error_info or ex.message or status}", phase=status)
        tags = {str(k): str(v) for k, v in (handle.get("tags") or {}).items()}
        if tags:
            req = ecs.TagResourcesRequest(region_id=region, resource_type="image", resource_id=[image_id],
                                          tag=[ecs.TagResourcesRequestTag(key=k, value=v) for k, v in tags.items()])
            try:
                self._poller.call(lambda: self._api.call(region, "tag_resources", req))
            except ProviderError as err:
                raise ProviderError(err.code, err.message, request_id=err.request_id,
                                    partial={"id": image_id, "region": region}) from None
        images = self._poller.call(lambda: self._images(region, image_id=image_id, status=IMAGE_STATUSES))
        size = images[0].size if images else None
        return {"id": image_id, "region": region, "status": "TEST_FAILED" if status == "TEST_FAILED" else "Available",
                "size": size, "execution_id": ex.execution_id, "template_id": handle["template_id"]}

    def _wait_copy(self, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        region, image_id = str(handle["region"]), str(handle["id"])
        last = ""
        missing = 0
        while True:
            images = self._copy_poller.call(lambda: self._images(region, image_id=image_id, status=IMAGE_STATUSES))
            if not images:
                if image_id in self._cancelled:
                    raise Cancelled(f"the copy {image_id} was cancelled")
                # A new copy can take a moment to be listed; after that, gone is gone.
                missing += 1
                if missing > 5:
                    raise ProviderError("InvalidImageId.NotFound", f"The copy {image_id} in {region} disappeared.")
            else:
                img = images[0]
                status = str(img.status)
                if f"{status} {img.progress}" != last:
                    last = f"{status} {img.progress}"
                    progress(f"copying to {region}: {status} {img.progress or ''}".strip(), phase=status)
                if status == "Available":
                    return {"id": image_id, "region": region, "source_image_id": handle.get("source_image_id"),
                            "size": img.size}
                if status in ("CreateFailed", "UnAvailable"):
                    raise ProviderError("CopyFailed", f"The copy {image_id} into {region} ended {status}.",
                                        partial={"id": image_id, "region": region})
            self._copy_poller.sleep()
