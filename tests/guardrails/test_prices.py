"""The price cache (``guardrails/prices.py``): prices asked once, kept for the TTL, and expired
ones dropped when the file is written again, so it does not grow with every endpoint ever priced."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.providers.base import Quote
from imgb.reconciler.guardrails.prices import CACHE_FILE, TTL, PriceBook
from tests.fakes import FakeProvider


class Priced(FakeProvider):
    asked = 0

    def build_price(self, instance_type: str | None, system_disk_size: int | None) -> Quote:
        return Quote(0.5, "CNY", "test")

    def storage_price(self, region: str) -> Quote:
        Priced.asked += 1
        return Quote(0.1, "CNY", "test")

    def image_gib(self, attrs: Mapping[str, Any]) -> float | None:
        return 1.0


def test_expired_prices_leave_the_file_and_fresh_ones_stay(tmp_path: Path) -> None:
    now = 1_000_000.0
    old = {"amount": 9.0, "currency": "CNY", "source": "old", "at": now - TTL - 1}
    fresh = {"amount": 0.2, "currency": "CNY", "source": "fresh", "at": now - 60}
    (tmp_path / CACHE_FILE).write_text(json.dumps({"gone|storage|x": old, "kept|storage|y": fresh, "odd": {"at": "?"}}))
    provider = Priced("local-1")
    book = PriceBook({"p": provider}, tmp_path, now=lambda: now)
    Priced.asked = 0
    assert book.storage("p", "local-2") == Quote(0.1, "CNY", "test")
    assert book.storage("p", "local-2") == Quote(0.1, "CNY", "test")  # memoised
    book.save()
    assert Priced.asked == 1
    saved = json.loads((tmp_path / CACHE_FILE).read_text())
    assert set(saved) == {"kept|storage|y", "|".join((provider.type, "", "local-1", "storage|local-2"))}
    assert saved["kept|storage|y"] == fresh

    again = PriceBook({"p": Priced("local-1")}, tmp_path, now=lambda: now + 1)
    assert again.storage("p", "local-2") == Quote(0.1, "CNY", "test")
    assert Priced.asked == 1  # from the file
