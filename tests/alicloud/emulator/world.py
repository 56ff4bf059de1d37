"""The emulated account: regions, images and their snapshots, components, templates, executions,
copies, shares, resource groups and keys.

Asynchronous objects advance lazily: every request first calls ``World.advance(now)``, which
moves executions, new images and copies through their statuses according to the configured
durations, so the same timings give the same histories.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .params import listed as _listed
from .params import pairs as _pairs

TERMINAL = frozenset({"SUCCESS", "PARTITION_SUCCESS", "FAILED", "TEST_FAILED", "CANCELLED"})
OUTCOMES = ("SUCCESS", "FAILED", "TEST_FAILED", "PARTITION_SUCCESS")
ACCOUNT_ID = "1000000000000001"
COPIES_PER_REGION = 5
"""[CopyImage] "A region supports only up to five concurrent image copy tasks. Excess image copy
tasks are queued for execution." """
MAX_TAGS = 20
"""[tag-limits] at most 20 custom tags per resource; [TagResources] Tag.N, N 1–20."""
DEFAULT_GROUP = "rg-default"

DEFAULT_REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1", "eu-central-1")
DEFAULT_INSTANCE_TYPES = {"ecs.g6.large": True, "ecs.g6.xlarge": True, "ecs.g7.large": True, "ecs.c7.8xlarge": False}
DEFAULT_PRICES = {"ecs.g6.large": 0.39, "ecs.g6.xlarge": 0.78, "ecs.g7.large": 0.42, "ecs.c7.8xlarge": 5.6}
"""The emulated account's pay-as-you-go prices per hour (CNY) in cn-hangzhou: made up, of the right size."""
DISK_PRICES = {"cloud": 0.0003, "cloud_efficiency": 0.0005, "cloud_ssd": 0.0014, "ephemeral_ssd": 0.0014,
               "cloud_essd": 0.0014, "cloud_auto": 0.0014, "cloud_essd_entry": 0.0007}
"""Per GiB-hour, by disk category."""
IN_PROGRESS = ("Creating", "Waiting")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Snapshot:
    id: str
    region: str
    size: int
    created: float
    image_id: str
    """The image the snapshot was made for ([delete-image]: it outlives the image)."""


@dataclass
class Image:
    id: str
    region: str
    name: str
    family: str = ""
    owner_alias: str = "self"
    status: str = "Available"
    progress: str = "100%"
    created: float = 0.0
    size: int = 40
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    shared_with: dict[str, float] = field(default_factory=dict)
    """account → time shared."""
    copy_ready_at: float | None = None
    copy_fails: bool = False
    copy_source: str | None = None
    ready_at: float | None = None
    """A built image is Creating until then (snapshotting the intermediate instance's disk)."""
    snapshot_ids: list[str] = field(default_factory=list)
    encrypted: bool = False
    kms_key_id: str = ""
    resource_group: str = DEFAULT_GROUP


@dataclass
class Component:
    id: str
    region: str
    params: dict[str, str]
    tags: dict[str, str]
    created: float
    resource_group: str = DEFAULT_GROUP


@dataclass
class Pipeline:
    id: str
    region: str
    params: dict[str, str]
    tags: dict[str, str]
    created: float
    component_ids: list[str]
    resource_group: str = DEFAULT_GROUP


@dataclass
class Execution:
    id: str
    region: str
    pipeline_id: str
    created: float
    steps: list[str]
    """Statuses still to enter, the final one last."""
    outcome: str
    status: str = "PREPARING"
    next_at: float = 0.0
    image_id: str = ""
    message: str = ""
    error_code: str = ""
    error_info: str = ""
    modified: float = 0.0
    tags: dict[str, str] = field(default_factory=dict)
    resource_group: str = DEFAULT_GROUP


@dataclass
class Timings:
    phase_seconds: float = 0.05
    """How long each execution status lasts."""
    copy_seconds: float = 0.05
    image_seconds: float = 0.0
    """How long a built image stays Creating after BUILDING ends. 0: Available at once. Longer than
    the rest of the execution, an image can be Creating while its execution says SUCCESS: the
    documentation promises nothing else, so a client must check the image itself before copying it."""


class World:
    def __init__(self, seed: int, timings: Timings, regions: tuple[str, ...] = DEFAULT_REGIONS):
        self.timings = timings
        self.rng = random.Random(seed)
        self.regions = list(regions)
        self.instance_types: dict[str, dict[str, bool]] = {r: dict(DEFAULT_INSTANCE_TYPES) for r in regions}
        self.vswitches: dict[str, set[str]] = {r: {f"vsw-{r}-a"} for r in regions}
        self.prices: dict[str, float] = dict(DEFAULT_PRICES)
        self.disk_prices: dict[str, float] = dict(DISK_PRICES)
        self.currency = "CNY"
        self.price_forbidden = False
        """A RAM user without ecs:DescribePrice: DescribePrice answers Forbidden.RAM."""
        self.images: dict[tuple[str, str], Image] = {}
        """(region, image id) → image: public image ids are the same in every region."""
        self.snapshots: dict[str, Snapshot] = {}
        self.components: dict[str, Component] = {}
        self.pipelines: dict[str, Pipeline] = {}
        self.executions: dict[str, Execution] = {}
        self.created: list[tuple[str, str, str]] = []
        """(kind, id, region) of every object created, in order: the proof that nothing was made twice."""
        self.origins: dict[str, str] = {}
        """Execution id -> its pipeline id, copy image id -> its source image id; kept after either is
        deleted, so a test can count builds per template and copies per source."""
        self.outcomes: list[str] = []
        """Forced outcomes for the next executions (consumed first), e.g. ["TEST_FAILED"]."""
        self.rates = {"FAILED": 0.0, "TEST_FAILED": 0.0, "PARTITION_SUCCESS": 0.0, "COPY_FAILED": 0.0}
        # Account settings a test can change.
        self.resource_groups: set[str] = {DEFAULT_GROUP, "rg-imgb"}
        self.default_group_forbidden = False
        """A RAM user without rights on the default resource group: creating without ResourceGroupId
        is refused with Forbidden ([CopyImage] ResourceGroupId note)."""
        self.default_encryption: set[str] = set()
        """Regions where the account encrypts new disks by default: an unencrypted copy into them is
        refused ([CopyImage] InvalidEncrypted.NotMatchDiskDefaultEncryption)."""
        self.kms_keys: dict[str, set[str]] = {r: {f"key-{r}"} for r in regions}
        self.listing_delay = 0.0
        """Seconds a new image or execution stays out of Describe* answers (eventual consistency:
        nothing in the API pages promises a new object is listed at once)."""
        self.instances: Counter[str] = Counter()
        """Image id → instances created from it ([DeleteImage] ImageUsingByInstance without Force)."""
        self._seq = itertools.count(1)
        for r in regions:
            self.add_image(r, "ubuntu_22_04_x64_20G_alibase_20240130.vhd", name="ubuntu_22_04_x64_20G_alibase_20240130.vhd",
                           family="acs:ubuntu_22_04_x64", owner_alias="system", created=1706572800.0)
            self.add_image(r, "ubuntu_22_04_x64_20G_alibase_20240520.vhd", name="ubuntu_22_04_x64_20G_alibase_20240520.vhd",
                           family="acs:ubuntu_22_04_x64", owner_alias="system", created=1716163200.0)

    def region_price_factor(self, region: str) -> float:
        """Prices differ by region; outside the home region of the tests they are 10% higher."""
        return 1.0 if region == "cn-hangzhou" else 1.1

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{self.rng.getrandbits(48):012x}{next(self._seq):04d}"

    def add_image(self, region: str, image_id: str | None = None, **kw: Any) -> Image:
        img = Image(id=image_id or self.new_id("m"), region=region, **kw)
        if img.owner_alias == "self" and not img.snapshot_ids:
            snap = Snapshot(self.new_id("s"), region, img.size, img.created, img.id)
            self.snapshots[snap.id] = snap
            img.snapshot_ids = [snap.id]
        self.images[(region, img.id)] = img
        return img

    def record(self, kind: str, id: str, region: str) -> None:
        self.created.append((kind, id, region))

    def created_counts(self) -> Counter[str]:
        return Counter(kind for kind, _, _ in self.created)

    def custom_images(self) -> list[Image]:
        return [i for i in self.images.values() if i.owner_alias == "self"]

    def orphan_snapshots(self) -> list[Snapshot]:
        """Snapshots whose image is gone: what a client that deletes images and not their
        snapshots leaves behind, billed by size."""
        live = {s for i in self.images.values() for s in i.snapshot_ids}
        return [s for s in self.snapshots.values() if s.id not in live]

    def listed(self, created: float, now: float) -> bool:
        return now - created >= self.listing_delay

    def name_taken(self, region: str, name: str) -> bool:
        """[CopyImage] InvalidImageName.Duplicated: "The specified image name is already in use in the
        target region." Names are unique among the account's own images in a region."""
        return any(i.region == region and i.owner_alias == "self" and i.name == name for i in self.images.values())

    # -- executions ----------------------------------------------------------------------------

    def start_execution(self, pipeline: Pipeline, now: float, tags: dict[str, str]) -> Execution:
        outcome = self.outcomes.pop(0) if self.outcomes else self._draw_outcome()
        steps = ["PREPARING"]
        if pipeline.params.get("RepairMode"):
            steps.append("REPAIRING")
        steps.append("BUILDING")
        if outcome != "FAILED":
            if pipeline.params.get("TestContent") or outcome == "TEST_FAILED":
                steps.append("TESTING")
            if outcome != "TEST_FAILED":
                steps += ["DISTRIBUTING", "RELEASING"]
        steps.append(outcome)
        ex = Execution(id=self.new_id("exec"), region=pipeline.region, pipeline_id=pipeline.id, created=now,
                       steps=steps[1:], outcome=outcome, next_at=now + self.timings.phase_seconds, modified=now,
                       tags=tags, message="Create transition vpc success!", resource_group=pipeline.resource_group)
        self.executions[ex.id] = ex
        self.origins[ex.id] = pipeline.id
        return ex

    def _draw_outcome(self) -> str:
        roll = self.rng.random()
        for outcome in ("FAILED", "TEST_FAILED", "PARTITION_SUCCESS"):
            if roll < self.rates[outcome]:
                return outcome
            roll -= self.rates[outcome]
        return "SUCCESS"

    def cancel_execution(self, ex: Execution, now: float) -> None:
        ex.status = "CANCELLING"
        ex.steps = ["CANCELLED"]
        ex.message = "Cancelling the build task."
        ex.next_at = now + self.timings.phase_seconds
        ex.modified = now

    def _enter(self, ex: Execution, status: str, at: float) -> None:
        leaving = ex.status
        ex.status, ex.modified = status, at
        pipeline = self.pipelines.get(ex.pipeline_id)
        if leaving == "BUILDING" and status not in ("FAILED", "CANCELLED") and pipeline is not None:
            self._make_image(ex, pipeline, at)
        if status == "FAILED":
            ex.error_code, ex.error_info = "CommandExecutionFailed", "The build command exited with code 1."
        elif status == "TEST_FAILED":
            ex.error_code, ex.error_info = "TestCommandExecutionFailed", "The test command exited with code 1."
        elif status == "PARTITION_SUCCESS":
            ex.error_code, ex.error_info = "DistributionPartiallyFailed", "Copying the image to some regions failed."
        elif status == "DISTRIBUTING" and pipeline is not None:
            self._distribute(ex, pipeline, at)
        ex.message = {
            "BUILDING": "Running build commands.", "TESTING": "Running test commands.",
            "DISTRIBUTING": "Distributing the image.", "RELEASING": "Releasing temporary resources.",
            "REPAIRING": "Repairing the source image.", "CANCELLED": "The build task was cancelled.",
        }.get(status, ex.error_info or "Done.")

    def _make_image(self, ex: Execution, p: Pipeline, at: float) -> None:
        # [CreateImagePipeline] ImageOptions.ImageName: "the final name is {ImageName}_{ExecutionId}"
        # unless AdvancedOptions.ImageNameSuffix=disable.
        prm = p.params
        base = prm.get("ImageOptions.ImageName") or prm.get("ImageName") or p.id
        name = base if prm.get("AdvancedOptions.ImageNameSuffix") == "disable" else f"{base}_{ex.id}"
        tags = {k: v for k, v in _pairs(prm, "ImageOptions.ImageTags")}
        ready = at + self.timings.image_seconds
        img = self.add_image(p.region, name=name, family=prm.get("ImageOptions.ImageFamily") or prm.get("ImageFamily", ""),
                             created=at, size=int(prm.get("SystemDiskSize") or 40), tags=tags,
                             description=prm.get("ImageOptions.Description", ""), resource_group=p.resource_group,
                             status="Creating" if ready > at else "Available", progress="0%" if ready > at else "100%",
                             ready_at=ready)
        self.record("image", img.id, p.region)
        ex.image_id = img.id

    def _distribute(self, ex: Execution, p: Pipeline, at: float) -> None:
        src = self.images.get((ex.region, ex.image_id))
        if src is None:
            return
        for acc in _listed(p.params, "AddAccount"):
            src.shared_with[acc] = at
        for region in _listed(p.params, "ToRegionId"):
            copy = self.add_image(region, name=src.name, family=src.family, created=at, size=src.size, tags=dict(src.tags))
            self.record("image", copy.id, region)

    def advance(self, now: float) -> None:
        for ex in self.executions.values():
            while ex.steps and now >= ex.next_at:
                at = ex.next_at
                self._enter(ex, ex.steps.pop(0), at)
                ex.next_at = at + self.timings.phase_seconds
        for img in self.images.values():
            if img.status == "Creating" and img.copy_source is None and img.ready_at is not None and now >= img.ready_at:
                img.status, img.progress = "Available", "100%"
        self._advance_copies(now)

    # -- copies ----------------------------------------------------------------------------------

    def start_copy(self, src: Image, region: str, name: str, description: str, tags: dict[str, str], now: float,
                   *, encrypted: bool, kms_key_id: str, resource_group: str) -> Image:
        img = self.add_image(region, name=name or src.name, family=src.family, created=now, size=src.size,
                             description=description, tags=tags, status="Waiting", progress="0%",
                             encrypted=encrypted or src.encrypted, kms_key_id=kms_key_id, resource_group=resource_group)
        img.copy_source = src.id
        self.origins[img.id] = src.id
        img.copy_fails = self.rng.random() < self.rates["COPY_FAILED"]
        self.record("copy", img.id, region)
        self._advance_copies(now)
        return img

    def copying(self, region: str) -> list[Image]:
        return [i for i in self.images.values() if i.region == region and i.status == "Creating" and i.copy_source]

    def copies_of(self, src_id: str) -> list[Image]:
        """Copies of ``src_id`` still in progress (Waiting or Creating)."""
        return [i for i in self.images.values() if i.copy_source == src_id and i.status in IN_PROGRESS]

    def _advance_copies(self, now: float) -> None:
        for img in sorted(self.images.values(), key=lambda i: i.created):
            if img.status == "Creating" and img.copy_ready_at is not None and now >= img.copy_ready_at:
                img.status, img.progress = ("CreateFailed", "0%") if img.copy_fails else ("Available", "100%")
        for img in sorted(self.images.values(), key=lambda i: (i.created, i.id)):
            # [CopyImage] at most five copies run per region; the rest wait their turn.
            if img.status == "Waiting" and len(self.copying(img.region)) < COPIES_PER_REGION:
                img.status, img.progress = "Creating", "50%"
                img.copy_ready_at = max(now, img.created) + self.timings.copy_seconds
