"""``dircloud``: a provider whose cloud is one JSON file in a directory (``root``), shared by every
process that opens it. Builds and copies finish ``latency`` seconds after they start. It keeps the
provider contract (providers/base.py): ``start`` is idempotent per token, handles are JSON, a
fresh instance can wait on a handle, errors are classified. It declares no limits: a configuration
it serves may distribute to any number of regions."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imgb.addresses import Kind
from imgb.diagnostics import Diagnostic
from imgb.plugins import Setting
from imgb.providers.base import (
    Cancelled,
    KindSchema,
    Limits,
    Progress,
    ProviderError,
    ProviderSchema,
    ProviderType,
)

_EVERY = frozenset({"*"})  # immutable: any change replaces the object
SCHEMA = ProviderSchema(
    kinds={
        Kind.COMPONENT: KindSchema(force_new=_EVERY, computed=frozenset({"id"})),
        Kind.TEMPLATE: KindSchema(force_new=_EVERY, computed=frozenset({"id"})),
        Kind.IMAGE: KindSchema(force_new=_EVERY, computed=frozenset({"id", "status"}), long_running=True),
        Kind.COPY: KindSchema(force_new=_EVERY, computed=frozenset({"id"}), long_running=True),
        Kind.SHARE: KindSchema(force_new=_EVERY, computed=frozenset({"id"})),
    },
    limits=Limits(builds_per_template=1),
)
_PREFIX = {Kind.COMPONENT: "dc-c-", Kind.TEMPLATE: "dc-t-", Kind.IMAGE: "dc-i-", Kind.COPY: "dc-i-", Kind.SHARE: "dc-s-"}
_TRANSIENT = ("context_dir", "sensitive_values")


class DirCloud:
    type = "dircloud"

    def __init__(self, root: Path, region: str, *, latency: float = 0.0):
        self.root = Path(root)
        self.region = region
        self.latency = latency
        self.root.mkdir(parents=True, exist_ok=True)

    # -- the cloud: one JSON document under an exclusive file lock -----------------------------
    @contextmanager
    def _db(self) -> Iterator[dict[str, Any]]:
        with open(self.root / "cloud.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = self.root / "cloud.json"
            db = json.loads(path.read_text()) if path.exists() else {"objects": {}, "tokens": {}}
            yield db
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(db, sort_keys=True))
            os.replace(tmp, path)

    # -- the protocol -------------------------------------------------------------------------
    def schema(self) -> ProviderSchema:
        return SCHEMA

    def check(self, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        return []

    def resolve_base_image(self, image: str | None, family: str | None) -> str:
        if not (image or family):
            raise ProviderError("BaseImageMissing", "no base image or family given")
        return f"base-{image or family}"

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        kind = Kind(kind)
        with self._db() as db:
            if token not in db["tokens"]:
                object_id = _PREFIX[kind] + hashlib.sha256(f"{kind}:{token}".encode()).hexdigest()[:16]
                if kind is Kind.SHARE:
                    object_id = f"{desired.get('image_id')}/{desired.get('account')}"
                source = desired.get("source_image_id") if kind is Kind.COPY else desired.get("image_id")
                error = None
                if kind in (Kind.COPY, Kind.SHARE) and source not in db["objects"]:
                    error = {"code": "ImageNotFound", "message": f"image {source} does not exist"}
                attrs = {k: v for k, v in desired.items() if k not in _TRANSIENT}
                attrs["region"] = desired.get("region") or self.region
                db["tokens"][token] = {"kind": str(kind), "id": object_id, "error": error, "ready_at": time.time() + self.latency}
                if error is None:
                    db["objects"][object_id] = {"kind": str(kind), "attrs": attrs, "status": "creating"}
        return {"token": token, "kind": str(kind)}

    def wait(self, kind: Kind, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        while True:
            with self._db() as db:
                op = db["tokens"].get(handle.get("token"))
                if op is None:
                    raise ProviderError("OperationNotFound", f"no operation {handle.get('token')}")
                if op["error"]:
                    raise ProviderError(op["error"]["code"], op["error"]["message"])
                obj = db["objects"].get(op["id"])
                if obj is None:
                    raise ProviderError("ObjectGone", f"{op['id']} was deleted while it was made")
                if obj["status"] == "cancelled":
                    raise Cancelled()
                if time.time() >= op["ready_at"]:
                    obj["status"] = "ready"
                    return {"id": op["id"], **({"status": "Available"} if Kind(kind) is Kind.IMAGE else {})}
            progress("in progress", phase="building" if Kind(kind) is Kind.IMAGE else None)
            time.sleep(min(0.05, max(self.latency / 4, 0.01)))

    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        with self._db() as db:
            obj = db["objects"].get(id)
        return None if obj is None else {"id": id, **obj["attrs"]}

    def delete(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        with self._db() as db:
            db["objects"].pop(id, None)

    def cancel(self, kind: Kind, handle: Mapping[str, Any]) -> None:
        with self._db() as db:
            op = db["tokens"].get(handle.get("token"))
            if op is not None and op["id"] in db["objects"]:
                db["objects"][op["id"]]["status"] = "cancelled"

    def logs(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> str:
        return f"dircloud built {id}\n" if Kind(kind) is Kind.IMAGE else ""

    def close(self) -> None:
        pass

    def objects(self) -> dict[str, Any]:
        """Every object in the cloud (for tests)."""
        with self._db() as db:
            return dict(db["objects"])


def open_dircloud(region: str, settings: Mapping[str, Any], directory: Path) -> DirCloud:
    return DirCloud(directory / str(settings["root"]), region, latency=float(settings.get("latency", 0.0)))


PROVIDER = ProviderType(
    block={
        "region": Setting("string", required=True),
        "root": Setting("string", default="dircloud", doc="the cloud's directory, relative to the configuration"),
        "latency": Setting("any", doc="seconds a build or copy takes"),
    },
    schema=SCHEMA,
    opener="imgb_testplugins.dircloud:open_dircloud",
)
