"""Prices for imgb's cost estimate: the build instance through ECS ``DescribePrice``, snapshot
storage from a documented table the configuration can override (no API returns it).

Image Builder is free; a build runs one pay-as-you-go instance of the template's
``instance_type`` (when unset, the smallest type in stock: ``ecs.g6.large`` in the documented
example, which the estimate assumes) with a ``system_disk_size`` GiB system disk. Images and
their copies are stored as standard snapshots, billed per GiB-month in each region at the price
of OSS Standard storage; the table holds the list prices this imgb was released with (see
docs/guardrails.md), per currency, because ``DescribePrice`` answers in the account's currency
(CNY on the China site, USD on the international one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alibabacloud_ecs20140526 import models as ecs

from imgb.providers.base import ProviderError, Quote

DEFAULT_INSTANCE_TYPE = "ecs.g6.large"
"""What Image Builder picks without ``instance_type`` in the documented example (the smallest in stock)."""
DEFAULT_SYSTEM_DISK = 40
SNAPSHOT_PRICES: dict[str, dict[str, float]] = {
    # Per GiB-month of standard snapshot. CNY: the China site's list price; USD: the international
    # site's example price for cn-hangzhou. Every region not listed uses "*".
    "CNY": {"*": 0.12},
    "USD": {"*": 0.0173},
}


class AlicloudPricing:
    """The Pricing capability of AlicloudProvider. ``call(region, operation, request)`` is the
    provider's retried read path; ``snapshot_prices`` overrides the table (region or "*" → price)."""

    def __init__(self, call: Any, region: str, snapshot_prices: Mapping[str, Any] | None = None):
        self._call = call
        self._region = region
        self._overrides = dict(snapshot_prices or {})
        self._currency: str | None = None

    def build_price(self, instance_type: str | None, system_disk_size: int | None) -> Quote:
        req = ecs.DescribePriceRequest(
            region_id=self._region,
            resource_type="instance",
            instance_type=instance_type or DEFAULT_INSTANCE_TYPE,
            price_unit="Hour",
            period=1,
            amount=1,
            system_disk=ecs.DescribePriceRequestSystemDisk(size=system_disk_size or DEFAULT_SYSTEM_DISK),
        )
        body = self._call(self._region, "describe_price", req)
        price = body.price_info.price if body.price_info else None
        if price is None or price.trade_price is None or not price.currency:
            raise ProviderError("PriceNotFound", f"DescribePrice returned no price for {req.instance_type}")
        self._currency = price.currency
        source = "DescribePrice" + ("" if instance_type else f" (no instance_type: assumes {DEFAULT_INSTANCE_TYPE})")
        return Quote(float(price.trade_price), str(price.currency), source)

    def storage_price(self, region: str) -> Quote:
        currency = self._currency or self._account_currency()
        if region in self._overrides or "*" in self._overrides:
            key = region if region in self._overrides else "*"
            try:
                amount = float(self._overrides[key])
            except (TypeError, ValueError):
                amount = -1.0
            if not amount >= 0:
                raise ProviderError("InvalidSnapshotPrice",
                                    f'snapshot_prices["{key}"] = {self._overrides[key]!r} is not a price (a number, 0 or more)')
            return Quote(amount, currency, "snapshot_prices in the provider block")
        table = SNAPSHOT_PRICES.get(currency)
        if table is None:
            raise ProviderError("PriceNotFound", f"no snapshot price for currency {currency}; set snapshot_prices")
        return Quote(table.get(region, table["*"]), currency, "snapshot price table (docs/guardrails.md)")

    def _account_currency(self) -> str:
        """The account's currency, from the cheapest question DescribePrice answers."""
        return self.build_price(None, None).currency

    def image_gib(self, attrs: Mapping[str, Any]) -> float | None:
        size = attrs.get("size")
        if isinstance(size, int | float) and size > 0:
            return float(size)  # DescribeImages' Size: GiB
        disk = attrs.get("system_disk_size")
        if isinstance(disk, int) and disk > 0:
            return float(disk)
        return float(DEFAULT_SYSTEM_DISK) if "build_content" in attrs else None
