"""Plan-time checks against the cloud, read-only: base image, stock, vSwitch, regions, COPY."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from alibabacloud_ecs20140526 import models as ecs

from imgb.commands.parse import parse_content
from imgb.diagnostics import Diagnostic, error, warning
from imgb.providers.base import ProviderError
from imgb.unknown import Unknown, has_markers

from .api import EcsApi


def is_known(value: Any) -> bool:
    return value is not None and value != "" and not isinstance(value, Unknown) and not (
        isinstance(value, str) and has_markers(value))


def copy_diagnostics(desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
    """COPY can only fetch URLs on Alibaba: the build runs on a remote instance that cannot
    read the configuration directory."""
    diags: list[Diagnostic] = []
    for field in ("build_content", "test_content"):
        text = desired.get(field)
        if not isinstance(text, str):
            continue
        for src in parse_content(text, component=False).copy_sources:
            if not src.startswith(("http://", "https://")):
                diags.append(error(
                    f'COPY of a local file "{src}" is not possible on Alibaba Cloud',
                    f'The {field.replace("_", " ")} copies "{src}" from the configuration directory, but Image '
                    "Builder runs the build on a remote instance that cannot read your files. Publish the file "
                    "at an http(s) URL and COPY that URL (with internet_max_bandwidth_out above 0), download it "
                    "with an OSSDownload component, or use the local provider.",
                    address=address))
            elif "?" in src:
                diags.append(error(
                    "COPY URL has a query string",
                    f'Image Builder fetches COPY URLs with wget and does not accept query strings: "{src}". '
                    "Host the file at a URL without one.", address=address))
            elif not desired.get("internet_max_bandwidth_out"):
                diags.append(warning(
                    "COPY from a URL without internet access",
                    f'"{src}" is downloaded on the build instance, which has no internet access while '
                    "internet_max_bandwidth_out is 0. Set it above 0 or the build fails.", address=address))
    return diags


class Preflight:
    def __init__(self, api: EcsApi, region: str, resolve: Callable[[str | None, str | None], str]):
        self._api = api
        self._region = region
        self._resolve = resolve
        self._regions: set[str] | None = None

    def regions(self) -> set[str]:
        if self._regions is None:
            body = self._api.call(self._region, "describe_regions", ecs.DescribeRegionsRequest())
            self._regions = {r.region_id for r in body.regions.region}
        return self._regions

    def template(self, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        diags = copy_diagnostics(desired, address)
        base, family = desired.get("base_image"), desired.get("base_image_family")
        if is_known(base) or is_known(family):
            try:
                self._resolve(base if is_known(base) else None, family if is_known(family) else None)
            except ProviderError as err:
                diags.append(self._unverified("base image", err, address) if err.retryable else error(
                    "Base image not found",
                    f"{err.message} Check base_image (an image id or exact name in {self._region}) or "
                    "base_image_family.", address=address))
        itype = desired.get("instance_type")
        if is_known(itype):
            diags += self._instance_type(str(itype), address)
        vswitch = desired.get("vswitch_id")
        if is_known(vswitch):
            diags += self._vswitch(str(vswitch), address)
        return diags

    def region(self, region: Any, address: str) -> list[Diagnostic]:
        if not is_known(region):
            return []
        try:
            known = self.regions()
        except ProviderError as err:
            return [self._unverified("region", err, address)]
        if region in known:
            return []
        return [error(f'Unknown region "{region}"',
                      f'"{region}" is not a region of this account. Known regions: {", ".join(sorted(known))}.',
                      address=address)]

    def _instance_type(self, itype: str, address: str) -> list[Diagnostic]:
        req = ecs.DescribeAvailableResourceRequest(region_id=self._region, destination_resource="InstanceType",
                                                   instance_type=itype, instance_charge_type="PostPaid")
        try:
            body = self._api.call(self._region, "describe_available_resource", req)
        except ProviderError as err:
            return [self._unverified("instance type", err, address)]
        zones = body.available_zones.available_zone if body.available_zones else []
        for zone in zones or []:
            for res in zone.available_resources.available_resource or []:
                for s in res.supported_resources.supported_resource or []:
                    if s.value == itype and s.status_category in ("WithStock", "ClosedWithStock"):
                        return []
        return [error(f'Instance type "{itype}" is not in stock',
                      f'No zone of {self._region} has "{itype}" in stock for pay-as-you-go instances, so the build '
                      "would fail when it starts. Choose another instance_type, or leave it unset and Image "
                      "Builder picks the smallest type in stock.", address=address)]

    def _vswitch(self, vswitch: str, address: str) -> list[Diagnostic]:
        try:
            body = self._api.describe_vswitches(self._region, vswitch)
        except ProviderError as err:
            return [self._unverified("vSwitch", err, address)]
        if any(v.v_switch_id == vswitch for v in (body.v_switches.v_switch if body.v_switches else []) or []):
            return []
        return [error(f'vSwitch "{vswitch}" not found',
                      f'No vSwitch "{vswitch}" exists in {self._region}. Use a vSwitch of the home region, or leave '
                      "vswitch_id unset and Image Builder creates a temporary VPC.", address=address)]

    @staticmethod
    def _unverified(what: str, err: ProviderError, address: str) -> Diagnostic:
        return warning(f"Could not verify the {what}",
                       f"The check failed with {err.code}: {err.message} The plan continues; apply will report the "
                       "problem if there is one.", address=address)
