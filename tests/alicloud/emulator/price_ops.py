"""[DescribePrice]: the pay-as-you-go price of an instance type (with its system disk) or a disk.

The request parameters are the documented ones (ECS 2014-05-26, the SDK's DescribePriceRequest):
RegionId (required), ResourceType (instance by default; disk; the other documented types —
diskperformance, bandwidth, ddh, ElasticityAssurance, CapacityReservation — are not emulated and
answer as an unsupported value), InstanceType (required for instance), PriceUnit (Hour by default;
Week, Month, Year), Period (1 for Hour), Amount (1–1000), SystemDisk.Category/Size,
DataDisk.1.Category/Size (required for disk, which has only an hourly price), ImageId, IoOptimized,
InstanceNetworkType, InternetChargeType, InternetMaxBandwidthOut, SpotStrategy, ZoneId.
The response is ``PriceInfo.Price`` (Currency, OriginalPrice, DiscountPrice, TradePrice,
DetailInfos.DetailInfo[] per resource) and ``PriceInfo.Rules.Rule[]``.

The prices are the emulated account's (``World.prices``), not Alibaba's; the error codes for an
unknown instance type and a refused ResourceType are unverified (the page's error table could not
be read), chosen after the codes ECS uses for the same parameters elsewhere.
"""

from __future__ import annotations

from typing import Any

from . import validation
from .errors import bad, forbidden
from .params import Params, get, integer, require
from .world import World

RESOURCE_TYPES = ("instance", "disk", "diskperformance", "bandwidth", "ddh", "ElasticityAssurance", "CapacityReservation")
UNITS = {"Hour": 1.0, "Week": 24 * 7, "Month": 24 * 30, "Year": 24 * 365}
PERIODS = {"Hour": (1, 1), "Week": (1, 4), "Month": (1, 9), "Year": (1, 5)}
DISK_CATEGORIES = ("cloud", "cloud_efficiency", "cloud_ssd", "ephemeral_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry")


def describe_price(w: World, p: Params, now: float) -> dict[str, Any]:
    region = validation.region(w, p)
    if w.price_forbidden:
        # A RAM user without ecs:DescribePrice (the page's authorization table: ecs:DescribePrice, get).
        raise forbidden("Forbidden.RAM", "User not authorized to operate on the specified resource, or this API "
                        "doesn't support RAM.")
    rtype = get(p, "ResourceType", "instance")
    if rtype not in RESOURCE_TYPES:
        raise bad("InvalidResourceType.NotSupported", f"The specified ResourceType {rtype!r} is not valid.")
    unit = get(p, "PriceUnit", "Hour")
    if unit not in UNITS:
        raise bad("InvalidPriceUnit.ValueNotSupported", f"The specified PriceUnit {unit!r} is not valid.")
    period = integer(p, "Period", 1)
    low, high = PERIODS[unit]
    if period is None or not low <= period <= high:
        raise bad("InvalidPeriod.ValueNotSupported", f"The specified Period {period} is not valid for PriceUnit {unit}.")
    amount = integer(p, "Amount", 1)
    if amount is None or not 1 <= amount <= 1000:
        raise bad("InvalidAmount.ValueNotSupported", "The specified Amount must be 1 to 1000.")
    hours = UNITS[unit] * period
    details: list[tuple[str, float]] = []
    if rtype == "instance":
        itype = require(p, "InstanceType")
        hourly = w.prices.get(itype)
        if hourly is None or itype not in w.instance_types[region]:
            raise bad("InvalidInstanceType.ValueNotSupported", f"The specified InstanceType {itype} does not exist "
                      "or beyond the permitted range.")
        details.append(("instanceType", hourly * w.region_price_factor(region)))
        category = _category(p, "SystemDisk.Category", "cloud_efficiency")
        size = integer(p, "SystemDisk.Size", 20) or 20  # "max{20, size of the image}"
        details.append(("systemDisk", size * w.disk_prices[category]))
        bandwidth = integer(p, "InternetMaxBandwidthOut", 0) or 0
        if bandwidth:
            details.append(("bandwidth", 0.0))  # PayByTraffic: billed by traffic, not by the hour
    elif rtype == "disk":
        if unit != "Hour":
            raise bad("InvalidPriceUnit.ValueNotSupported", "Disks have only pay-as-you-go prices: PriceUnit must be Hour.")
        category = _category(p, "DataDisk.1.Category", None)
        size = integer(p, "DataDisk.1.Size", None)
        if size is None:
            raise bad("MissingParameter.DataDisk.1.Size", 'The input parameter "DataDisk.1.Size" that is mandatory '
                      "for processing this request is not supplied.")
        details.append(("dataDisk", size * w.disk_prices[category]))
    else:
        raise bad("InvalidResourceType.NotSupported", f"ResourceType {rtype!r} is not emulated.")
    lines = [(resource, round(hourly * hours * amount, 6)) for resource, hourly in details]
    total = round(sum(v for _, v in lines), 6)
    return {"PriceInfo": {
        "Price": {"Currency": w.currency, "OriginalPrice": total, "DiscountPrice": 0.0, "TradePrice": total,
                  "DetailInfos": {"DetailInfo": [
                      {"Resource": r, "OriginalPrice": v, "DiscountPrice": 0.0, "TradePrice": v,
                       "SubRules": {"Rule": []}} for r, v in lines]}},
        "Rules": {"Rule": []}}}


def _category(p: Params, name: str, default: str | None) -> str:
    category = get(p, name, default)
    if category is None:
        raise bad(f"MissingParameter.{name}", f'The input parameter "{name}" that is mandatory for processing '
                  "this request is not supplied.")
    if category not in DISK_CATEGORIES:
        raise bad(f"InvalidParameter.{name}", f"The specified {name} {category!r} is not valid.")
    return category
