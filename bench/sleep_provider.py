"""A provider that sleeps a set time per action: the scheduling benchmark's test double."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from typing import Any

from imgb.addresses import Kind
from imgb.diagnostics import Diagnostic
from imgb.providers.base import KindSchema, Limits, Progress, ProviderSchema


class SleepProvider:
    type = "sleep"

    def __init__(self, region: str = "r1", seconds: Mapping[str, float] | float = 0.0):
        self.region = region
        self.seconds = seconds
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _delay(self, kind: Kind, desired: Mapping[str, Any]) -> float:
        if isinstance(self.seconds, Mapping):
            label = (desired.get("tags") or {}).get("imgb:address") or f"{kind}.{desired.get('name')}"
            return float(self.seconds.get(str(label), 0.0))
        return float(self.seconds)

    def schema(self) -> ProviderSchema:
        every = frozenset({"*"})  # immutable: any attribute's change replaces the object, as Image Builder's
        return ProviderSchema(kinds={k: KindSchema(force_new=every) for k in Kind}, limits=Limits(builds_per_template=1))

    def check(self, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        return []

    def resolve_base_image(self, image: str | None, family: str | None) -> str:
        return "m-base"

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        return {"delay": self._delay(kind, desired)}

    def wait(self, kind: Kind, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        if handle["delay"]:
            time.sleep(handle["delay"])
        with self._lock:
            return {"id": f"x-{next(self._ids)}", "status": "Available"}

    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        return dict(attrs)

    def delete(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        return None

    def cancel(self, kind: Kind, handle: Mapping[str, Any]) -> None:
        return None

    def logs(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> str:
        return ""

    def close(self) -> None:
        return None
