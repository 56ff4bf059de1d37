"""The real world behind imgb, read and disturbed directly: the local provider's store, or the
Alibaba API emulator's world. The lifecycle checks compare against these, not against imgb's
state alone.

Each cloud answers ``images()`` (every image imgb made, with its content hash, whether it failed
its tests, and the accounts it is shared with), ``inventory()`` (what state must hold exactly after
a successful apply), injects faults into the next apply (a copy or a share that fails), and deletes
or unshares behind imgb's back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgb.providers.base import ProviderError
from imgb.providers.local import list_images
from imgb.providers.local.provider import LocalProvider
from imgb.providers.local.store import Store
from tests.alicloud.emulator import Emulator
from tests.alicloud.emulator.server import Faults
from tests.lifecycle.site import FAIL_BUILD, FAIL_TEST


@dataclass(frozen=True)
class Img:
    region: str
    id: str
    hash: str
    test_failed: bool
    usable: bool
    """Available (a copy still in progress or failed is not)."""
    shared: frozenset[str]


@dataclass(frozen=True)
class Inventory:
    """Object ids by kind, as the cloud has them: compared with state after a successful apply."""

    components: frozenset[str]
    templates: frozenset[str]
    images: frozenset[tuple[str, str]]
    """(region, id) of builds and copies."""
    shares: frozenset[tuple[str, str, str]]
    """(region, image id, account)."""


class Cloud:
    name: str

    def images(self) -> list[Img]:
        raise NotImplementedError

    def inventory(self) -> Inventory:
        raise NotImplementedError

    @contextmanager
    def fault(self, kind: str) -> Iterator[None]:
        """Copies (``kind="copy"``) or shares (``"share"``) fail while this is open."""
        raise NotImplementedError
        yield

    def delete_image(self, region: str, image_id: str) -> None:
        """Delete an image (and so its shares) behind imgb's back."""
        raise NotImplementedError

    def unshare(self, region: str, image_id: str, account: str) -> None:
        raise NotImplementedError

    def builds(self) -> int:
        """How many builds were started so far (to prove a rollback builds nothing)."""
        raise NotImplementedError


class LocalCloud(Cloud):
    name = "local"

    def __init__(self, root: Path):
        self.root = root

    def images(self) -> list[Img]:
        out = []
        for row in list_images(self.root):
            if not row.get("content_hash"):
                continue  # a base image
            out.append(Img(row["region"], row["id"], row["content_hash"], row.get("status") == "TEST_FAILED",
                           row.get("status") in ("Available", "TEST_FAILED"), frozenset(row["shared_with"])))
        return out

    def inventory(self) -> Inventory:
        store = Store(self.root)
        images = frozenset((i.region, i.id) for i in self.images())
        shares = frozenset((i.region, i.id, a) for i in self.images() for a in i.shared)
        regions = store.regions()
        return Inventory(
            frozenset(r["id"] for reg in regions for r in store.records(reg, "components")),
            frozenset(r["id"] for reg in regions for r in store.records(reg, "templates")),
            images,
            shares,
        )

    @contextmanager
    def fault(self, kind: str) -> Iterator[None]:
        attr = {"copy": "_copy", "share": "_share"}[kind]
        real: Callable[..., Any] = getattr(LocalProvider, attr)

        @functools.wraps(real)
        def failing(self: LocalProvider, desired: Any) -> Any:
            raise ProviderError(f"Injected.{kind.title()}Failed", f"the test made this {kind} fail")

        setattr(LocalProvider, attr, failing)
        try:
            yield
        finally:
            setattr(LocalProvider, attr, real)

    def delete_image(self, region: str, image_id: str) -> None:
        store = Store(self.root)
        with store.lock():
            shares = store.shares(region)
            shares.pop(image_id, None)
            store.set_shares(region, shares)
            store.drop_image(region, image_id)

    def unshare(self, region: str, image_id: str, account: str) -> None:
        store = Store(self.root)
        with store.lock():
            shares = store.shares(region)
            shares[image_id] = [a for a in shares.get(image_id, []) if a != account]
            store.set_shares(region, shares)

    def builds(self) -> int:
        ops = Store(self.root).root / "ops"
        n = 0
        for path in ops.glob("*.json") if ops.is_dir() else []:
            text = path.read_text(errors="replace")
            n += '"kind": "image"' in text or '"kind":"image"' in text
        return n


class EmulatedCloud(Cloud):
    """The Alibaba API emulator. The build of content carrying FAIL_BUILD fails, and the tests of
    content carrying FAIL_TEST fail, as a real Image Builder would run them."""

    name = "alicloud"

    def __init__(self, emulator: Emulator):
        self.em = emulator
        self._failed: set[str] = set()
        """Ids of images whose build ended TEST_FAILED, as seen so far: deleting a template deletes its
        executions, and with them the only record the API keeps of which image failed its tests."""
        world = emulator.world
        real_start = world.start_execution

        def start_execution(pipeline: Any, now: float, tags: dict[str, str]) -> Any:
            if FAIL_BUILD in pipeline.params.get("BuildContent", ""):
                world.outcomes.insert(0, "FAILED")
            elif FAIL_TEST in pipeline.params.get("TestContent", ""):
                world.outcomes.insert(0, "TEST_FAILED")
            return real_start(pipeline, now, tags)

        world.start_execution = start_execution  # type: ignore[method-assign]

    def _hashes(self) -> dict[str, str]:
        """Built image id -> content hash (a build's image carries it on its execution)."""
        return {ex.image_id: ex.tags.get("imgb:hash", "") for ex in self.em.world.executions.values() if ex.image_id}

    def images(self) -> list[Img]:
        world = self.em.world
        built = self._hashes()
        self._failed |= {ex.image_id for ex in world.executions.values() if ex.status == "TEST_FAILED" and ex.image_id}
        failed = self._failed
        out = []
        with self.em._state.lock:
            for (region, iid), img in sorted(world.images.items()):
                if img.owner_alias != "self":
                    continue
                h = img.tags.get("imgb:hash") or built.get(iid, "")
                out.append(Img(region, iid, h, iid in failed, img.status == "Available", frozenset(img.shared_with)))
        return out

    def inventory(self) -> Inventory:
        world = self.em.world
        imgs = self.images()
        return Inventory(
            frozenset(world.components),
            frozenset(world.pipelines),
            frozenset((i.region, i.id) for i in imgs),
            frozenset((i.region, i.id, a) for i in imgs for a in i.shared),
        )

    @contextmanager
    def fault(self, kind: str) -> Iterator[None]:
        if kind == "copy":
            self.em.world.rates["COPY_FAILED"] = 1.0
        else:
            self.em.faults.__dict__.update(Faults(actions=frozenset({"ModifyImageSharePermission"}),
                                                  server_error_rate=1.0).__dict__)
        try:
            yield
        finally:
            self.em.world.rates["COPY_FAILED"] = 0.0
            self.em.faults.__dict__.update(Faults().__dict__)

    def delete_image(self, region: str, image_id: str) -> None:
        with self.em._state.lock:
            self.em.world.images.pop((region, image_id), None)

    def unshare(self, region: str, image_id: str, account: str) -> None:
        with self.em._state.lock:
            img = self.em.world.images.get((region, image_id))
            if img is not None:
                img.shared_with.pop(account, None)

    def builds(self) -> int:
        return len(self.em.world.executions)
