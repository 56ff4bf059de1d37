"""Prices for the cost estimate, asked of the providers at plan time and cached.

A price is asked once per plan (memoised, failures too: a provider that refuses DescribePrice is
not asked again for every template) and kept on disk for ``TTL`` seconds in the cache directory
(``prices.json``), so repeated plans make no price calls. A price that cannot be had is a note in
the plan, never a failed plan.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from imgb.providers.base import Pricing, Provider, ProviderError, Quote

TTL = 24 * 3600.0
"""Seconds a price stays in the on-disk cache (IMGB_PRICE_CACHE_SECONDS overrides; 0 disables it)."""
CACHE_FILE = "prices.json"


class PriceBook:
    def __init__(self, providers: Mapping[str, Provider], cache_dir: Path | None, *, now: Callable[[], float] = time.time):
        self.providers = providers
        self._path = cache_dir / CACHE_FILE if cache_dir is not None else None
        self._now = now
        self._ttl = float(os.environ.get("IMGB_PRICE_CACHE_SECONDS", TTL))
        self._memo: dict[str, Quote | str] = {}
        self._disk: dict[str, dict[str, Any]] | None = None
        self._dirty = False
        self._pricing: dict[str, Pricing | None] = {}

    def pricing(self, key: str) -> Pricing | None:
        if key not in self._pricing:  # isinstance against a Protocol is slow: once per provider
            p = self.providers.get(key)
            self._pricing[key] = p if isinstance(p, Pricing) else None
        return self._pricing[key]

    def build(self, key: str, instance_type: str | None, system_disk_size: int | None) -> Quote | str:
        """Per hour, or why there is no price."""
        return self._quote(key, f"build|{instance_type or ''}|{system_disk_size or ''}",
                           lambda p: p.build_price(instance_type, system_disk_size))

    def storage(self, key: str, region: str) -> Quote | str:
        """Per GiB-month, or why there is no price."""
        return self._quote(key, f"storage|{region}", lambda p: p.storage_price(region))

    def _quote(self, key: str, what: str, ask: Callable[[Pricing], Quote]) -> Quote | str:
        provider = self.providers.get(key)
        pricing = self.pricing(key)
        if provider is None or pricing is None:
            return f"provider {key} gives no prices"
        scope = "|".join((provider.type, str(getattr(provider, "endpoint", "") or ""), provider.region, what))
        if scope in self._memo:
            return self._memo[scope]
        cached = self._cached(scope)
        if cached is not None:
            self._memo[scope] = cached
            return cached
        try:
            quote: Quote | str = ask(pricing)
        except ProviderError as e:
            quote = f"{provider.type} ({provider.region}): {e.code}: {e.message}"
        if isinstance(quote, Quote):
            self._store(scope, quote)
        self._memo[scope] = quote
        return quote

    # -- the on-disk cache ------------------------------------------------------------------------
    def _load(self) -> dict[str, dict[str, Any]]:
        if self._disk is None:
            self._disk = {}
            if self._path is not None and self._ttl > 0:
                try:
                    doc = json.loads(self._path.read_text())
                    if isinstance(doc, dict):
                        self._disk = {k: v for k, v in doc.items() if isinstance(v, dict)}
                except (OSError, ValueError):
                    pass  # no cache, or a broken one: ask again
        return self._disk

    def _cached(self, scope: str) -> Quote | None:
        entry = self._load().get(scope)
        if entry is None or not isinstance(entry.get("at"), int | float) or self._now() - entry["at"] > self._ttl:
            return None
        try:
            return Quote(float(entry["amount"]), str(entry["currency"]), str(entry["source"]))
        except (KeyError, TypeError, ValueError):
            return None

    def _store(self, scope: str, quote: Quote) -> None:
        if self._path is None or self._ttl <= 0:
            return
        self._load()[scope] = {"amount": quote.amount, "currency": quote.currency, "source": quote.source, "at": self._now()}
        self._dirty = True

    def save(self) -> None:
        """Write the prices asked this time (best effort: a read-only cache only costs calls)."""
        if not self._dirty or self._path is None or self._disk is None:
            return
        # Expired prices go: every plan reads the whole file (scopes include the endpoint, so a
        # file kept forever would grow with every endpoint and region ever priced).
        now = self._now()
        self._disk = {k: v for k, v in self._disk.items() if isinstance(v.get("at"), int | float) and now - v["at"] <= self._ttl}
        try:
            # Owner-only like the parse cache beside it, whatever the umask: it records the account's prices.
            self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self._path.with_name(f".{CACHE_FILE}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(self._disk, sort_keys=True))
            os.replace(tmp, self._path)
            self._dirty = False
        except OSError:
            pass
