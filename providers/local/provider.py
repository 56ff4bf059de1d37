"""``LocalProvider``: imgb's embedded cloud, backed by a store directory on this machine.

Components and templates are JSON records in the home region; an image is a real OCI image
built in a sandbox by a detached worker; a copy hard-links the image's blobs into another
region's layout; a share is a record. Every ``start`` is keyed by the engine's token (an op
record in the store), so retries and a restarted ``imgb apply`` find the same operation.

Test knobs (off by default): ``latency`` seconds added to each operation (asynchronous kinds
become ready that much later), and ``fail``: a set of kinds (``"image"``; ``"delete:image"``
for deletes) or a probability, drawn from a ``seed``-ed generator, whose starts fail with a
retryable ``InjectedFailure``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgb.addresses import Kind
from imgb.diagnostics import Diagnostic
from imgb.digests import sha256_hex
from imgb.providers.base import Cancelled, Progress, ProviderError, ProviderSchema, Quote
from imgb.providers.local import bases
from imgb.providers.local.checks import check_desired
from imgb.providers.local.oci import link_blob
from imgb.providers.local.schema import COMPONENT_IN, IMAGE_IN, SCHEMA, TEMPLATE_IN, default_root
from imgb.providers.local.store import InvalidRegion, Store, check_region, image_id, now_iso, token_key

if TYPE_CHECKING:
    import random
    import threading

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])

class LocalProvider:
    type = "local"
    reads_wait = False
    """Reads are lookups in the store on this disk: refresh makes them one after another."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        region: str = "local-1",
        *,
        latency: float = 0.0,
        fail: Collection[str] | float | None = None,
        seed: int = 0,
        step_timeout: float = 3600.0,
        poll_interval: float = 0.02,
    ):
        self.store = Store(root if root is not None else default_root())
        self.region = check_region(region)
        self.latency = latency
        self.fail = fail
        self.step_timeout = step_timeout
        self.poll_interval = poll_interval
        self._rng: tuple[random.Random, threading.Lock] | None = None
        if isinstance(fail, float | int) and not isinstance(fail, bool):
            # (random and threading load only for this test knob: a plan has no failures to draw)
            import random
            import threading

            self._rng = (random.Random(seed), threading.Lock())

    # -- schema, checks ------------------------------------------------------------------------
    def schema(self) -> ProviderSchema:
        return SCHEMA

    def check(self, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        return check_desired(self.store, self.region, kind, desired, address)

    def resolve_base_image(self, image: str | None, family: str | None) -> str:
        images = self.store.records(self.region, "images")
        if image:
            if image.startswith("m-") and any(r["id"] == image for r in images):
                return image
            named = [r for r in images if r.get("name") == image and r.get("status") == "Available"]
            # An imported (or built-in) base wins over any built image of the same name: in a
            # shared store, a template of another project must not shadow it.
            named = [r for r in named if bases.is_base(r)] or named
            if image in bases.BUILTIN and not any(bases.is_base(r) for r in named):
                named = []
            if named:
                return str(max(named, key=lambda r: (r.get("created", ""), r["id"]))["id"])
            if image in bases.BUILTIN:
                from imgb.providers.local import baseimages  # (layers, archives: only to make one)

                try:
                    return str(baseimages.ensure_builtin(self.store, self.region, image)["id"])
                except baseimages.BaseImageError as e:
                    raise ProviderError("InvalidImage.Unavailable", str(e)) from e
            raise ProviderError(
                "InvalidImageId.NotFound",
                f'no image "{image}" in local region {self.region}. Use busybox or scratch, an image id, '
                "or import one with `imgb image import NAME SRC`.",
            )
        fam = [r for r in images if family and r.get("family") == family and r.get("status") == "Available"]
        if not fam:
            raise ProviderError("InvalidImageFamily.NotFound",
                                f'no available image of family "{family}" in local region {self.region}.')
        return str(max(fam, key=lambda r: (r.get("created", ""), r["id"]))["id"])

    # -- start / wait --------------------------------------------------------------------------
    def _injected(self, what: str) -> bool:
        if self.fail is None:
            return False
        if isinstance(self.fail, float | int) and not isinstance(self.fail, bool):
            assert self._rng is not None  # made with the probability
            rng, lock = self._rng
            with lock:
                return rng.random() < float(self.fail)
        return what in self.fail  # type: ignore[operator]

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        kind = Kind(kind)
        key = token_key(f"{kind}\n{token}")
        handle = {"op": key, "kind": str(kind), "region": self.region}
        spawn = False
        with self.store.lock():
            op = self.store.get_op(key)
            if op is not None and not (op.get("state") == "failed" and op.get("error", {}).get("retryable")):
                return handle
            op = {"key": key, "kind": str(kind), "region": self.region, "created": now_iso(),
                  "ready_at": time.time() + self.latency, "attempt": (op or {}).get("attempt", 0) + 1}
            if self._injected(str(kind)):
                op.update(state="failed", error={"code": "InjectedFailure", "retryable": True,
                                                 "message": f"injected failure starting a {kind} (test knob)"})
            else:
                try:
                    if kind is Kind.IMAGE:
                        op.update(state="queued", step_timeout=self.step_timeout,
                                  desired={k: desired.get(k) for k in IMAGE_IN})
                        spawn = True
                    else:
                        op.update(state="done", result=self._create_now(kind, desired, key))
                except ProviderError as e:
                    op.update(state="failed", error={"code": e.code, "message": e.message, "retryable": e.retryable})
            self.store.put_op(op)
        if spawn:
            self._spawn_worker(key, desired.get("context_dir"), desired.get("sensitive_values") or ())
        return handle

    def _spawn_worker(self, key: str, context_dir: Any, secrets: Any = ()) -> None:
        import subprocess

        env = dict(os.environ)
        env["PYTHONPATH"] = _PROJECT_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen(
            [sys.executable, "-m", "imgb.providers.local.worker", str(self.store.root), key],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, cwd=_PROJECT_ROOT, env=env,
        )
        import json

        from imgb.providers.local import seccomp

        try:  # compiled once here rather than in every worker; a worker without it reports why
            program = seccomp.program()
        except seccomp.SeccompUnavailable:
            program = None
        # Through stdin, never the store: the worker masks these in the build log and messages.
        proc.communicate(json.dumps({"context_dir": str(context_dir) if context_dir else None,
                                     "mask": [str(s) for s in secrets if s], "seccomp": program}).encode())

    def _create_now(self, kind: Kind, desired: Mapping[str, Any], key: str) -> dict[str, Any]:
        """Create a quick object under the store lock; returns its attributes."""
        suffix = sha256_hex(key.encode())[:20]
        if kind is Kind.COMPONENT:
            rec = {k: desired.get(k) for k in COMPONENT_IN}
            rec.update(id="ic-" + suffix, created=now_iso(), region=self.region)
            self.store.put(self.region, "components", rec)
            return {"id": rec["id"], "name": rec["name"], "version": rec.get("version")}
        if kind is Kind.TEMPLATE:
            rec = {k: desired.get(k) for k in TEMPLATE_IN}
            rec.update(id="ip-" + suffix, created=now_iso(), region=self.region)
            self.store.put(self.region, "templates", rec)
            return {"id": rec["id"]}
        if kind is Kind.COPY:
            return self._copy(desired)
        if kind is Kind.SHARE:
            return self._share(desired)
        raise ProviderError("InvalidKind", f"unknown kind {kind}")

    def _copy(self, desired: Mapping[str, Any]) -> dict[str, Any]:
        src_region = str(desired.get("source_region") or self.region)
        dst_region = str(desired.get("region"))
        try:
            check_region(dst_region)
            check_region(src_region)
        except InvalidRegion as e:
            raise ProviderError("InvalidRegionId.Malformed", str(e)) from e
        src_id = str(desired.get("source_image_id"))
        src = self.store.get(src_region, "images", src_id)
        if src is None:
            raise ProviderError("InvalidImageId.NotFound", f"image {src_id} does not exist in region {src_region}.")
        if src.get("status") != "Available":
            raise ProviderError("InvalidImage.NotAvailable",
                                f"image {src_id} is {src.get('status')} and cannot be copied.")
        if dst_region == src_region:
            raise ProviderError("InvalidRegionId.Same", f"image {src_id} is already in region {dst_region}.")
        src_lay, dst_lay = self.store.layout(src_region), self.store.layout(dst_region)
        digest = src["manifest_digest"]
        for blob in src_lay.manifest_blobs(digest):
            link_blob(src_lay.blob_path(blob), dst_lay.blob_path(blob))
        rec = self.store.add_image(dst_region, digest, {
            "name": desired.get("image_name") or src.get("name"), "family": src.get("family"),
            "description": src.get("description"), "tags": dict(desired.get("tags") or {}),
            "content_hash": desired.get("content_hash") or src.get("content_hash"),
            "template_id": src.get("template_id"), "status": "Available", "source": f"copy:{src_region}/{src_id}",
            "log": src.get("log"),
        })
        return {"id": rec["id"], "region": dst_region}

    def _share(self, desired: Mapping[str, Any]) -> dict[str, Any]:
        region = str(desired.get("region") or self.region)
        iid, account = str(desired.get("image_id")), str(desired.get("account"))
        if not account.isdigit():
            raise ProviderError("InvalidAccount.Malformed", f'"{account}" is not an account id (digits only).')
        if self.store.get(region, "images", iid) is None:
            raise ProviderError("InvalidImageId.NotFound", f"image {iid} does not exist in region {region}.")
        shares = self.store.shares(region)
        if account not in shares.setdefault(iid, []):  # sharing twice is sharing once
            shares[iid].append(account)
            self.store.set_shares(region, shares)
        return {"id": f"{iid}/{account}"}

    def wait(self, kind: Kind, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        key = str(handle["op"])
        last_progress = None
        interval = self.poll_interval
        began = time.monotonic()
        while True:
            op = self.store.get_op(key)
            if op is None:
                raise ProviderError("OperationNotFound", f"no local operation {key[:12]}; it was never started "
                                    "in this store (was the provider root changed?).")
            state = op.get("state")
            if state == "done":
                delay = float(op.get("ready_at", 0)) - time.time()
                if delay > 0:
                    progress(f"{kind} is being created", phase="creating")
                    time.sleep(delay)
                return dict(op["result"])
            if state == "failed":
                err = op.get("error", {})
                raise ProviderError(str(err.get("code", "Failed")), str(err.get("message", "")),
                                    retryable=bool(err.get("retryable")))
            if state == "cancelled":
                raise Cancelled(f"the {kind} operation was cancelled")
            if op.get("progress") and op["progress"] != last_progress:
                last_progress = op["progress"]
                progress(str(last_progress), phase="building")
            self._check_worker(op)
            time.sleep(interval)
            # Poll briskly for short builds, then back off for long ones.
            interval = min(interval * 1.5, 0.1 if time.monotonic() - began < 10 else 0.5)

    def _check_worker(self, op: dict[str, Any]) -> None:
        """Mark a build whose worker died (or never started) as failed, retryably."""
        pid = op.get("pid")
        if pid is None:
            started = op.get("created", "")
            if op.get("state") == "queued" and time.time() - float(op.get("ready_at", 0)) > 30 and started:
                self._mark_dead(op["key"], "the build worker never started")
            return
        from imgb.providers.local.worker import process_start_time  # the build worker: only while builds run

        if op.get("state") == "running" and process_start_time(int(pid)) != op.get("pid_start"):
            fresh = self.store.get_op(op["key"]) or {}
            if fresh.get("state") == "running":
                self._mark_dead(op["key"], "the build worker stopped without a result (killed, or the machine restarted)")

    def _mark_dead(self, key: str, why: str) -> None:
        from imgb.providers.local.worker import lost_error

        with self.store.lock():
            op = self.store.get_op(key) or {"key": key}
            if op.get("state") in ("running", "queued"):
                op.update(state="failed", error=lost_error(self.store, why))
                self.store.put_op(op)

    def cancel(self, kind: Kind, handle: Mapping[str, Any]) -> None:
        key = str(handle["op"])
        with self.store.lock():
            op = self.store.get_op(key)
            if op is None or op.get("state") not in ("queued", "running"):
                return
            if op.get("state") == "queued" and not op.get("pid"):
                op["state"] = "cancelled"
                self.store.put_op(op)
                return
            pid, start = op.get("pid"), op.get("pid_start")
        import signal

        from imgb.providers.local.worker import process_start_time

        if pid and process_start_time(int(pid)) == start:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass

    # -- read / delete -------------------------------------------------------------------------
    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        kind = Kind(kind)
        if kind is Kind.COMPONENT:
            rec = self.store.get(self.region, "components", id)
            return None if rec is None else {k: rec.get(k) for k in ("id", *COMPONENT_IN)}
        if kind is Kind.TEMPLATE:
            rec = self.store.get(self.region, "templates", id)
            return None if rec is None else {k: rec.get(k) for k in ("id", *TEMPLATE_IN)}
        if kind in (Kind.IMAGE, Kind.COPY):
            region = str(attrs.get("region") or self.region)
            rec = self.store.get(region, "images", id)
            if rec is None:
                return None
            out = {k: rec.get(k) for k in ("id", "region", "status", "size", "execution_id", "content_hash")}
            if kind is Kind.IMAGE:
                out.update(image_name=rec.get("name"), image_family=rec.get("family"),
                           image_tags=rec.get("tags") or {}, template_id=rec.get("template_id"))
            else:
                out.update(image_name=rec.get("name"), tags=rec.get("tags") or {})
            return out
        region = str(attrs.get("region") or self.region)
        iid, _, account = id.partition("/")
        if account in self.store.shares(region).get(iid, []):
            return {"id": id, "image_id": iid, "region": region, "account": account}
        return None

    def delete(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        kind = Kind(kind)
        if self._injected(f"delete:{kind}"):
            raise ProviderError("InjectedFailure", f"injected failure deleting a {kind} (test knob)", retryable=True)
        if self.latency:
            time.sleep(self.latency)
        region = str(attrs.get("region") or self.region)
        with self.store.lock():
            if kind is Kind.COMPONENT:
                self.store.remove(self.region, "components", id)
            elif kind is Kind.TEMPLATE:
                self.store.remove(self.region, "templates", id)
            elif kind in (Kind.IMAGE, Kind.COPY):
                accounts = self.store.shares(region).get(id, [])
                if accounts:
                    raise ProviderError("InvalidImage.Shared", f"image {id} in {region} is shared with "
                                        f"{', '.join(accounts)}; unshare it first.")
                self.store.drop_image(region, id)
            else:
                iid, _, account = id.partition("/")
                shares = self.store.shares(region)
                if account in shares.get(iid, []):
                    shares[iid] = [a for a in shares[iid] if a != account]
                    self.store.set_shares(region, shares)

    def logs(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> str:
        """The log of an image's build; of a build that made no image (it failed), given its handle
        (``{"op": ...}``) as ``attrs`` and no id."""
        if Kind(kind) not in (Kind.IMAGE, Kind.COPY):
            return ""
        rec = self.store.get(str(attrs.get("region") or self.region), "images", id) if id else None
        key = rec.get("log") if rec is not None else (None if id else attrs.get("op"))
        if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{40}", key):  # token_key's form: never a path
            return ""
        try:
            return self.store.log_path(str(key)).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- the Pricing capability: local builds and images cost nothing; the plan shows disk usage --

    def build_price(self, instance_type: str | None, system_disk_size: int | None) -> Quote:
        return Quote(0.0, "", "local provider")

    def storage_price(self, region: str) -> Quote:
        return Quote(0.0, "", "local provider")

    def image_gib(self, attrs: Mapping[str, Any]) -> float | None:
        size = attrs.get("size")  # bytes of the image's layers
        return size / 2**30 if isinstance(size, int | float) and size >= 0 else None

    def close(self) -> None:
        return None


def list_images(root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every image in every region of the store at ``root``, for ``imgb images``; sorted."""
    store = Store(root)
    out = []
    for region in store.regions():
        shares = store.shares(region)
        for rec in store.records(region, "images"):
            out.append({
                "region": region, "id": rec["id"], "name": rec.get("name"), "family": rec.get("family"),
                "status": rec.get("status"), "content_hash": rec.get("content_hash"),
                "created": rec.get("created"), "size": rec.get("size"),
                "shared_with": sorted(shares.get(rec["id"], [])),
            })
    return sorted(out, key=lambda r: (r["region"], str(r["name"]), r["id"]))


def build_log(root: str | os.PathLike[str], image: str) -> str:
    """The build log of image ``image`` (any region's copy) in the store at ``root``."""
    rec = Store(root).find_image(image)
    if rec is None or not rec.get("log"):
        return ""
    try:
        return Store(root).log_path(str(rec["log"])).read_text(errors="replace")
    except FileNotFoundError:
        return ""


__all__ = ["LocalProvider", "build_log", "default_root", "image_id", "list_images"]
