"""The state: what imgb made, with the provider's ids, so the next plan can diff against it.

Format (JSON, documented in docs/state.md): ``version``, ``serial`` (rises by one with every
write), ``lineage`` (a uuid fixed when the state is first created), ``resources``, ``current``,
``operations`` (in-flight markers) and ``outputs``. Images are kept per content hash: a template
can have several built images (the current one and older ones retained for rollback), each
with its own copies and shares, told apart by ``image_hash``.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from imgb.addresses import Address, Kind

STATE_VERSION = 1
DEPOSED = "deposed"


def deposed_key(object_id: str) -> str:
    """The image_hash slot of a deposed object: keeps it apart from its successor at one address."""
    return f"deposed:{object_id}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResourceState(_Model):
    address: str
    """The current-generation address: image.web, copy.web["cn-shanghai"] (never the retained form)."""
    kind: Kind
    provider: str
    id: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    dependencies: list[str] = Field(default_factory=list)
    template: str | None = None
    """image, copy, share: the template address they come from."""
    image_hash: str | None = None
    """image, copy, share: the content hash of the image they belong to."""
    status: str = "ok"
    """ok; test_failed for an image whose test content failed (kept, never distributed); deposed
    for an object a replacement superseded before its delete finished (it is deleted next)."""
    created_at: str | None = None
    duration_s: float | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.address, self.image_hash)


class Operation(_Model):
    """An operation started but not yet finished (a build, a copy): persisted before waiting so
    that the next apply adopts it instead of starting another."""

    address: str
    kind: Kind
    provider: str
    token: str
    handle: dict[str, Any]
    template: str | None = None
    image_hash: str | None = None
    desired: dict[str, Any] = Field(default_factory=dict)
    started_at: str


class OutputState(_Model):
    value: Any = None
    sensitive: bool = False


class State(_Model):
    version: int = STATE_VERSION
    serial: int = 0
    lineage: str = Field(default_factory=lambda: str(uuid.uuid4()))
    imgb_version: str = ""
    resources: list[ResourceState] = Field(default_factory=list)
    current: dict[str, str] = Field(default_factory=dict)
    """Template address -> content hash of its current image."""
    operations: list[Operation] = Field(default_factory=list)
    outputs: dict[str, OutputState] = Field(default_factory=dict)

    # -- queries ---------------------------------------------------------------------------
    def index(self) -> dict[tuple[str, str | None], ResourceState]:
        return {r.key: r for r in self.resources}

    def get(self, address: str, image_hash: str | None = None) -> ResourceState | None:
        for r in self.resources:
            if r.address == address and r.image_hash == image_hash:
                return r
        return None

    def is_current(self, r: ResourceState) -> bool:
        if r.status == DEPOSED:
            return False
        return r.image_hash is None or (r.template is not None and self.current.get(r.template) == r.image_hash)

    def display_address(self, r: ResourceState) -> str:
        """image.web, or image.web (retained 3f2a9c1d) for an image that is no longer current."""
        if r.status == DEPOSED:
            return f"{r.address} (deposed {r.id})"
        if self.is_current(r):
            return r.address
        assert r.image_hash is not None
        return str(Address.parse(r.address).as_retained(r.image_hash[:8]))

    # -- mutations (used by the state manager when replaying the journal) --------------------
    def put(self, r: ResourceState) -> None:
        self.resources = [x for x in self.resources if x.key != r.key]
        self.resources.append(r)

    def remove(self, address: str, image_hash: str | None) -> None:
        self.resources = [x for x in self.resources if x.key != (address, image_hash)]

    def normalized(self) -> State:
        """A copy with every list in a stable order, for deterministic output."""
        return self.model_copy(
            update={
                "resources": sorted(self.resources, key=lambda r: (Address.parse(r.address).sort_key(), r.image_hash or "")),
                "operations": sorted(self.operations, key=lambda o: (o.address, o.image_hash or "")),
                "current": dict(sorted(self.current.items())),
                "outputs": dict(sorted(self.outputs.items())),
            }
        )
