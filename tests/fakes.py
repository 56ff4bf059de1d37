"""FakeProvider: an in-process provider for engine tests, with latency and injected failures.

Its objects live in a JSON file (fcntl-locked) when ``path`` is given, so a test can kill an
``imgb apply`` process and check from the outside that nothing was created twice and nothing
is untracked. Every create is logged in ``created`` with its token.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imgb.addresses import Kind
from imgb.diagnostics import Diagnostic
from imgb.providers.base import Cancelled, KindSchema, Limits, Progress, ProviderError, ProviderSchema

PREFIX = {Kind.COMPONENT: "ic-", Kind.TEMPLATE: "ip-", Kind.IMAGE: "m-", Kind.COPY: "m-", Kind.SHARE: "sh-"}


class FakeProvider:
    type = "fake"

    def __init__(
        self,
        region: str = "fake-1",
        *,
        path: str | Path | None = None,
        latency: Mapping[str, float] | float = 0.0,
        fail: Mapping[str, str] | None = None,
        flaky: float = 0.0,
        test_fail: set[str] | None = None,
        seed: int = 0,
        key: str = "local",
    ):
        self.region = region
        self.path = Path(path) if path else None
        self.latency = latency
        self.fail = dict(fail or {})
        """address substring -> error code: creates whose tags/name match fail (not retryable)."""
        self.flaky = flaky
        """Probability that a call raises a retryable Throttling error first."""
        self.test_fail = set(test_fail or ())
        self.rng = random.Random(seed)
        self._mem: dict[str, Any] = {"objects": {}, "ops": {}, "created": [], "seq": 0}
        self.calls: list[tuple[str, str]] = []

    # -- persistence -------------------------------------------------------------------------
    @contextmanager
    def _db(self) -> Iterator[dict[str, Any]]:
        if self.path is None:
            yield self._mem
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(str(self.path) + ".lock", "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            try:
                data = json.loads(self.path.read_text()) if self.path.exists() else {"objects": {}, "ops": {}, "created": [], "seq": 0}
                yield data
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data))
                os.replace(tmp, self.path)
            finally:
                fcntl.flock(lk, fcntl.LOCK_UN)

    def objects(self) -> dict[str, Any]:
        with self._db() as db:
            return dict(db["objects"])

    def created(self) -> list[dict[str, Any]]:
        with self._db() as db:
            return list(db["created"])

    # -- protocol ----------------------------------------------------------------------------
    def schema(self) -> ProviderSchema:
        immutable = KindSchema(force_new=frozenset({"*"}), computed=frozenset({"id"}))
        return ProviderSchema(
            kinds={
                Kind.COMPONENT: immutable,
                Kind.TEMPLATE: immutable,
                Kind.IMAGE: KindSchema(long_running=True),
                Kind.COPY: KindSchema(long_running=True),
                Kind.SHARE: KindSchema(),
            },
            limits=Limits(builds_per_template=1, copies_per_region=5),
        )

    def check(self, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        return []

    def resolve_base_image(self, image: str | None, family: str | None) -> str:
        name = image or family or ""
        if name == "missing":
            raise ProviderError("InvalidImage.NotFound", f"no image {name}")
        return "m-base-" + name.replace(":", "-")

    def _latency(self, kind: Kind, label: str = "") -> float:
        if isinstance(self.latency, Mapping):
            return float(self.latency.get(label, self.latency.get(str(kind), 0.0)))
        return float(self.latency)

    def _maybe_flaky(self, call: str) -> None:
        if self.flaky and self.rng.random() < self.flaky:
            raise ProviderError("Throttling.User", f"{call} throttled", retryable=True, request_id="req-fake")

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        self.calls.append(("start", str(kind)))
        self._maybe_flaky("start")
        label = str((desired.get("tags") or {}).get("imgb:address") or desired.get("name") or "")
        for needle, code in self.fail.items():
            if needle and needle in label:
                raise ProviderError(code, f"injected failure for {label}", request_id="req-fail")
        with self._db() as db:
            if token in db["ops"]:
                return {"token": token}
            db["ops"][token] = {
                "kind": str(kind),
                "desired": {k: v for k, v in desired.items() if k != "context_dir"},
                "started": time.time(),
                "latency": self._latency(kind, label),
                "done": None,
                "cancelled": False,
            }
        return {"token": token}

    def wait(self, kind: Kind, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        token = str(handle["token"])
        with self._db() as db:
            op = db["ops"].get(token)
        if op is None:
            raise ProviderError("OperationNotFound", f"no operation {token}")
        remaining = op["started"] + op["latency"] - time.time()
        if remaining > 0:
            progress(f"working ({op['kind']})", phase="BUILDING" if kind is Kind.IMAGE else None)
            time.sleep(remaining)
        self._maybe_flaky("wait")
        with self._db() as db:
            op = db["ops"][token]
            if op["cancelled"]:
                raise Cancelled()
            if op["done"] is None:
                db["seq"] += 1
                oid = f"{PREFIX[kind]}{db['seq']:06d}"
                desired = op["desired"]
                if kind is Kind.SHARE:
                    oid = f"{desired.get('image_id')}/{desired.get('account')}"
                attrs: dict[str, Any] = {"id": oid}
                if kind is Kind.IMAGE:
                    label = str((desired.get("tags") or {}).get("imgb:address", ""))
                    attrs["status"] = "TEST_FAILED" if label in self.test_fail else "Available"
                    attrs["region"] = self.region
                if kind is Kind.COPY:
                    attrs["region"] = desired.get("region")
                db["objects"][oid] = {"kind": str(kind), "attrs": desired, "token": token}
                label = str((desired.get("tags") or {}).get("imgb:address") or desired.get("name") or oid)
                if kind is Kind.SHARE:
                    label = f"share {desired.get('image_id')}/{desired.get('account')}"
                db["created"].append({"kind": str(kind), "id": oid, "token": token, "label": label})
                op["done"] = attrs
            return dict(op["done"])

    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        self.calls.append(("read", str(kind)))
        with self._db() as db:
            obj = db["objects"].get(id)
        return dict(obj["attrs"]) if obj else None

    def delete(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        self.calls.append(("delete", str(kind)))
        self._maybe_flaky("delete")
        with self._db() as db:
            db["objects"].pop(id, None)

    def cancel(self, kind: Kind, handle: Mapping[str, Any]) -> None:
        with self._db() as db:
            op = db["ops"].get(str(handle.get("token")))
            if op is not None:
                op["cancelled"] = True

    def logs(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> str:
        return ""

    def close(self) -> None:
        pass

    # -- test helpers ---------------------------------------------------------------------------
    def remove_outside(self, id: str) -> None:
        """Delete an object behind imgb's back (drift)."""
        with self._db() as db:
            db["objects"].pop(id, None)


class MemorySession:
    """A state session kept in memory: the engine's view of ``state.manager.StateSession``. The
    engine records from worker threads: each change is made under a lock, as the real session's."""

    def __init__(self, state: Any = None):
        from imgb.state.model import State

        self.state = state or State()
        self.writes = 0
        self._lock = threading.RLock()

    def get(self, address: str, image_hash: str | None = None) -> Any:
        return self.state.get(address, image_hash)

    def put(self, resource: Any, *, wait: bool = True) -> None:
        with self._lock:
            self.end_operation(resource.address, resource.image_hash)
            self.state.put(resource)
            self.writes += 1

    def remove(self, address: str, image_hash: str | None) -> None:
        with self._lock:
            self.state.remove(address, image_hash)
            self.writes += 1

    def begin_operation(self, op: Any) -> None:
        with self._lock:
            self.state.operations = [o for o in self.state.operations if (o.address, o.image_hash) != (op.address, op.image_hash)]
            self.state.operations.append(op)
            self.writes += 1

    def end_operation(self, address: str, image_hash: str | None) -> None:
        with self._lock:
            self.state.operations = [o for o in self.state.operations if (o.address, o.image_hash) != (address, image_hash)]
            self.writes += 1

    def promote(self, template: str, image_hash: str, at: str) -> None:
        with self._lock:
            self.state.promote(template, image_hash, at)
            self.writes += 1

    def retire(self, template: str, at: str) -> None:
        with self._lock:
            self.state.retire(template, at)
            self.writes += 1

    def set_failure(self, template: str, failure: Any) -> None:
        with self._lock:
            if failure is None:
                self.state.failures.pop(template, None)
            else:
                self.state.failures[template] = failure
            self.writes += 1

    def move_template(self, src: str, dst: str) -> None:
        self.state.move_template(src, dst)
        self.writes += 1

    def rehash(self, template: str, old: str, new: str) -> None:
        self.state.rehash(template, old, new)
        self.writes += 1

    def sync(self, grace: float = 0.0) -> None:
        return None  # every write above is immediate
