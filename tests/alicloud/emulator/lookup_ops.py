"""Read-only lookups for plan-time checks: regions, instance type stock, vSwitches (VPC API)."""

from __future__ import annotations

from typing import Any

from . import validation
from .errors import bad
from .params import Params, get, require
from .world import World


def describe_regions(w: World, p: Params, now: float) -> dict[str, Any]:
    return {"Regions": {"Region": [
        {"RegionId": r, "LocalName": r, "RegionEndpoint": f"ecs.{r}.aliyuncs.com", "Status": "available"}
        for r in sorted(w.regions)]}}


def describe_available_resource(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
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
    """[Vpc.DescribeVSwitches] (VPC 2016-04-28; ECS's own DescribeVSwitches is deprecated)."""
    region = validation.region(w, p)
    items = sorted(w.vswitches[region])
    if vsw := get(p, "VSwitchId"):
        items = [v for v in items if v == vsw]
    page, number, size = validation.page_by_number(items, p, max_size=50)
    return {"TotalCount": len(items), "PageNumber": number, "PageSize": size, "VSwitches": {"VSwitch": [
        {"VSwitchId": v, "VpcId": f"vpc-{region}", "ZoneId": f"{region}-a", "Status": "Available",
         "CidrBlock": "172.16.0.0/24", "VSwitchName": v} for v in page]}}
