"""The local "cloud": a directory of regions, records and in-flight operations.

Layout (``root``)::

    regions/<region>/{oci-layout,index.json,blobs/sha256/…}   each region a valid OCI layout;
                                                             index refs are image ids (m-…)
    records/<region>/{images,components,templates}/<id>.json
    shares/<region>.json          image id -> [account ids]   (sharing is metadata only)
    ops/<sha256(token)>.json      one per engine token: kind, state, result or error, worker pid
    logs/<op key>.log             build logs
    tmp/                          same file system as the blobs, for atomic renames
    lock                          fcntl lock held around every read-modify-write

Several imgb processes (and threads: each acquisition opens its own file description) may use
one store at once. Records, ops and logs are owner-only; the layouts stay readable so that
skopeo and umoci can inspect them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imgb.digests import sha256_hex
from imgb.providers.local.oci import (
    MEDIA_CONFIG,
    MEDIA_LAYER,
    MEDIA_MANIFEST,
    Layout,
    canonical_json,
    make_dirs,
    write_atomic,
)

REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
RECORD_KINDS = ("images", "components", "templates")


class InvalidRegion(ValueError):
    pass


def now_iso() -> str:
    import datetime as dt  # (only to write a record: a plan writes none)

    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def image_id(manifest_digest: str, region: str) -> str:
    """m- + 20 hex: from the content and the region, so each region's copy has its own id."""
    return "m-" + sha256_hex(f"{manifest_digest}\n{region}".encode())[:20]


def token_key(token: str) -> str:
    return sha256_hex(token.encode())[:40]


def check_region(region: str) -> str:
    if not REGION_RE.match(region):
        raise InvalidRegion(
            f'"{region}" is not a valid local region name: use lower-case letters, digits and '
            'hyphens, such as "local-1".'
        )
    return region


class Store:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).absolute()
        make_dirs(self.root, 0o755)
        for sub, mode in (("regions", 0o755), ("records", 0o700), ("shares", 0o700), ("ops", 0o700),
                          ("logs", 0o700), ("tmp", 0o700)):
            make_dirs(self.root / sub, mode)

    # -- locking -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- regions -------------------------------------------------------------------------------
    def layout(self, region: str) -> Layout:
        lay = Layout(self.root / "regions" / check_region(region))
        if not (lay.path / "index.json").exists():
            lay.ensure()
        return lay

    def regions(self) -> list[str]:
        return sorted(p.name for p in (self.root / "regions").iterdir() if p.is_dir())

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    # -- records -------------------------------------------------------------------------------
    def _record_path(self, region: str, kind: str, id: str) -> Path:
        if kind not in RECORD_KINDS or not re.match(r"^[a-z]{1,3}-[0-9a-f]{1,64}$", id):
            raise KeyError(f"{kind}/{id}")
        return self.root / "records" / check_region(region) / kind / f"{id}.json"

    def get(self, region: str, kind: str, id: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self._record_path(region, kind, id).read_bytes()))
        except (FileNotFoundError, KeyError):
            return None

    def put(self, region: str, kind: str, record: dict[str, Any]) -> None:
        path = self._record_path(region, kind, record["id"])
        make_dirs(path.parent, 0o700, parents_mode=0o700)
        write_atomic(path, canonical_json(record), 0o600)

    def remove(self, region: str, kind: str, id: str) -> bool:
        try:
            self._record_path(region, kind, id).unlink()
            return True
        except (FileNotFoundError, KeyError):
            return False

    def records(self, region: str, kind: str) -> list[dict[str, Any]]:
        d = self.root / "records" / check_region(region) / kind
        if not d.is_dir():
            return []
        out = []
        for p in sorted(d.glob("*.json")):
            with contextlib.suppress(FileNotFoundError, ValueError):
                out.append(dict(json.loads(p.read_bytes())))
        return out

    def find_image(self, id: str) -> dict[str, Any] | None:
        """An image record by id, in whichever region holds it."""
        for region in self.regions():
            rec = self.get(region, "images", id)
            if rec is not None:
                return rec
        return None

    # -- shares --------------------------------------------------------------------------------
    def shares(self, region: str) -> dict[str, list[str]]:
        try:
            return dict(json.loads((self.root / "shares" / f"{check_region(region)}.json").read_bytes()))
        except FileNotFoundError:
            return {}

    def set_shares(self, region: str, shares: dict[str, list[str]]) -> None:
        clean = {k: sorted(set(v)) for k, v in sorted(shares.items()) if v}
        write_atomic(self.root / "shares" / f"{check_region(region)}.json", canonical_json(clean), 0o600)

    # -- operations ----------------------------------------------------------------------------
    def op_path(self, key: str) -> Path:
        return self.root / "ops" / f"{key}.json"

    def get_op(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.op_path(key).read_bytes()))
        except FileNotFoundError:
            return None

    def put_op(self, op: dict[str, Any]) -> None:
        write_atomic(self.op_path(op["key"]), canonical_json(op), 0o600)

    def update_op(self, key: str, **changes: Any) -> dict[str, Any]:
        with self.lock():
            op = self.get_op(key) or {"key": key}
            op.update(changes)
            self.put_op(op)
            return op

    def log_path(self, key: str) -> Path:
        return self.root / "logs" / f"{key}.log"

    # -- images --------------------------------------------------------------------------------
    def write_manifest(
        self,
        region: str,
        layers: list[tuple[str, int, str]],
        config: dict[str, Any],
        annotations: dict[str, str] | None = None,
    ) -> tuple[str, int]:
        """Write config and manifest blobs for layers (digest, size, media type) already in the
        region; returns (manifest digest, manifest size)."""
        lay = self.layout(region)
        cdigest, csize = lay.put_blob(canonical_json(config))
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": MEDIA_MANIFEST,
            "config": {"mediaType": MEDIA_CONFIG, "digest": cdigest, "size": csize},
            "layers": [{"mediaType": mt or MEDIA_LAYER, "digest": d, "size": s} for d, s, mt in layers],
        }
        if annotations:
            manifest["annotations"] = dict(sorted(annotations.items()))
        return lay.put_blob(canonical_json(manifest))

    def image_size(self, region: str, manifest_digest: str) -> int:
        lay = self.layout(region)
        manifest = lay.read_json(manifest_digest)
        return int(sum(layer["size"] for layer in manifest["layers"]))

    def add_image(self, region: str, manifest_digest: str, record: dict[str, Any]) -> dict[str, Any]:
        """Register an image (its blobs already in the region): index ref + record. Under lock."""
        lay = self.layout(region)
        iid = image_id(manifest_digest, region)
        size = lay.blob_path(manifest_digest).stat().st_size
        lay.set_ref(iid, manifest_digest, size)
        rec = {
            "id": iid,
            "region": region,
            "manifest_digest": manifest_digest,
            "size": self.image_size(region, manifest_digest),
            "created": now_iso(),
            "status": "Available",
            **record,
        }
        rec["id"], rec["region"] = iid, region
        self.put(region, "images", rec)
        return rec

    def drop_image(self, region: str, id: str) -> bool:
        """Remove an image's record, ref and the blobs nothing else uses. Under lock."""
        rec = self.get(region, "images", id)
        lay = self.layout(region)
        lay.drop_ref(id)
        lay.collect_garbage()
        shares = self.shares(region)
        if id in shares:
            del shares[id]
            self.set_shares(region, shares)
        return self.remove(region, "images", id) or rec is not None
