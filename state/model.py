"""The state: what imgb made, with the provider's ids, so the next plan can diff against it.

Format (JSON, documented in docs/state.md): ``version``, ``serial`` (rises by one with every
write), ``lineage`` (a uuid fixed when the state is first created), ``resources``, ``current``,
``in_service``, ``failures``, ``operations`` (in-flight markers) and ``outputs``. Images are kept
per content hash: a template can have several built images (the one in service and older ones
retained for rollback), each with its own copies and shares, told apart by ``image_hash``.

The lifecycle facts per template (docs/lifecycle.md): ``current`` names the generation in
service, ``in_service`` records when each generation went into and out of service (``retain``
keeps the ones most recently in service), ``failures`` the last build that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imgb.addresses import Address, Kind
from imgb.records import Record
from imgb.state.stamps import utc_iso, uuid4

STATE_VERSION = 2
"""2: ``in_service`` and ``failures`` (version 1 states are migrated when read: ``migrate``)."""
DEPOSED = "deposed"
TEST_FAILED = "test_failed"


def timestamp() -> str:
    """A time as state records them (UTC, milliseconds)."""
    return utc_iso(milliseconds=True)


def new_lineage() -> str:
    return uuid4()


def deposed_key(object_id: str) -> str:
    """The image_hash slot of a deposed object: keeps it apart from its successor at one address."""
    return f"deposed:{object_id}"


@dataclass(kw_only=True)
class ResourceState(Record):
    """One object imgb made (or adopted): its address, provider id and attributes."""

    address: str
    """The current-generation address: image.web, copy.web["cn-shanghai"] (never the retained form)."""
    kind: Kind
    provider: str
    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
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


@dataclass(kw_only=True)
class Operation(Record):
    """An operation started but not yet finished (a build, a copy): persisted before waiting so
    that the next apply adopts it instead of starting another."""

    address: str
    kind: Kind
    provider: str
    token: str
    handle: dict[str, Any]
    template: str | None = None
    image_hash: str | None = None
    desired: dict[str, Any] = field(default_factory=dict)
    started_at: str


@dataclass(kw_only=True)
class ServicePeriod(Record):
    """One stretch of time a generation of a template was in service."""

    hash: str
    since: str
    """When it went into service (empty: before in-service times were recorded)."""
    until: str | None = None
    """When another generation replaced it; None while it is in service."""


@dataclass(kw_only=True)
class BuildFailure(Record):
    """The last build of a template that failed, kept so that the plan can say so and
    ``imgb logs`` can find its log (the provider's handle of the build)."""

    address: str
    provider: str
    hash: str
    at: str
    code: str
    message: str
    handle: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class OutputState(Record):
    """An output's value after apply."""

    value: Any = None
    sensitive: bool = False


@dataclass(kw_only=True)
class State(Record):
    """Everything imgb made for a configuration, and the lifecycle facts of its templates."""

    version: int = STATE_VERSION
    serial: int = 0
    lineage: str = field(default_factory=new_lineage)
    imgb_version: str = ""
    resources: list[ResourceState] = field(default_factory=list)
    current: dict[str, str] = field(default_factory=dict)
    """Template address -> content hash of its generation in service."""
    in_service: dict[str, list[ServicePeriod]] = field(default_factory=dict)
    """Template address -> when each generation was in service, oldest first."""
    failures: dict[str, BuildFailure] = field(default_factory=dict)
    """Template address -> its last failed build, while no build of it succeeded since."""
    operations: list[Operation] = field(default_factory=list)
    outputs: dict[str, OutputState] = field(default_factory=dict)

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

    def last_in_service(self, template: str) -> dict[str, str]:
        """Content hash -> when it left service ("~" while in service, so it sorts last), for
        every generation of ``template`` that was ever in service."""
        out: dict[str, str] = {}
        for p in self.in_service.get(template, []):
            end = "~" if p.until is None else p.until
            if end > out.get(p.hash, ""):
                out[p.hash] = end
        return out

    # -- mutations (used by the state manager when replaying the journal) --------------------
    def put(self, r: ResourceState) -> None:
        self.resources = [x for x in self.resources if x.key != r.key]
        self.resources.append(r)

    def promote(self, template: str, image_hash: str, at: str) -> None:
        """Put a generation in service: the one in service before leaves it at ``at``."""
        periods = self.in_service.setdefault(template, [])
        if self.current.get(template) == image_hash and periods and periods[-1].until is None:
            return
        for p in periods:
            if p.until is None:
                p.until = at
        periods.append(ServicePeriod(hash=image_hash, since=at))
        self.current[template] = image_hash
        failure = self.failures.get(template)
        if failure is not None and failure.hash == image_hash:
            del self.failures[template]

    def retire(self, template: str, at: str) -> None:
        """Nothing of ``template`` is in service any more (its image is gone, or the template)."""
        self.current.pop(template, None)
        for p in self.in_service.get(template, []):
            if p.until is None:
                p.until = at

    def rehash(self, template: str, old: str, new: str) -> None:
        """A generation re-keyed to another content hash (a moved component): its in-service
        record goes with it."""
        if self.current.get(template) == old:
            self.current[template] = new
        for p in self.in_service.get(template, []):
            if p.hash == old:
                p.hash = new
        failure = self.failures.get(template)
        if failure is not None and failure.hash == old:
            self.failures[template] = failure.model_copy(update={"hash": new})

    def with_templates_renamed(self, rename: Callable[[str], str]) -> State:
        """A copy whose lifecycle facts (current, in_service, failures) follow templates renamed
        by ``rename`` (moved blocks, as the plan sees them before apply records the move)."""
        return self.model_copy(update={
            "current": {rename(t): h for t, h in self.current.items()},
            "in_service": {rename(t): [p.model_copy() for p in ps] for t, ps in self.in_service.items()},
            "failures": {rename(t): f for t, f in self.failures.items()},
        })

    def move_template(self, src: str, dst: str) -> None:
        """``imgb state mv`` of a template: its lifecycle facts go with it."""
        if src in self.current:
            self.current[dst] = self.current.pop(src)
        if src in self.in_service:
            self.in_service[dst] = self.in_service.pop(src)
        if src in self.failures:
            self.failures[dst] = self.failures.pop(src)

    def remove(self, address: str, image_hash: str | None) -> None:
        self.resources = [x for x in self.resources if x.key != (address, image_hash)]

    def normalized(self) -> State:
        """A copy with every list in a stable order, for deterministic output, without the
        in-service periods and failures of generations and templates state no longer holds."""
        held = {(r.template, r.image_hash) for r in self.resources if r.template}
        held_templates = {r.address for r in self.resources if r.kind is Kind.TEMPLATE} | {t for t, _ in held}
        in_service = {}
        for t, periods in sorted(self.in_service.items()):
            kept = [p for p in periods if (t, p.hash) in held or (p.until is None and self.current.get(t) == p.hash)]
            if kept:
                in_service[t] = kept
        return self.model_copy(
            update={
                "resources": sorted(self.resources, key=lambda r: (Address.parse(r.address).sort_key(), r.image_hash or "")),
                "operations": sorted(self.operations, key=lambda o: (o.address, o.image_hash or "")),
                "current": dict(sorted(self.current.items())),
                "in_service": in_service,
                "failures": {t: f for t, f in sorted(self.failures.items()) if t in held_templates},
                "outputs": dict(sorted(self.outputs.items())),
            }
        )


def migrate(doc: Any) -> Any:
    """A state document of an older format version, as the current version (other documents as
    they are). Version 1 had no in-service history and retained by build time: the generation in
    service gets a period from its build, the retained ones back-to-back periods in build order.
    Version 1 could also name as current a generation whose build failed or whose tests failed
    (docs/lifecycle.md, I2 and I4): such a ``current`` falls back to the newest good image."""
    if not isinstance(doc, dict) or doc.get("version") != 1:
        return doc
    doc = dict(doc, version=STATE_VERSION)
    resources = doc.get("resources")
    current = doc.get("current")
    if not isinstance(resources, list) or not isinstance(current, dict):
        return doc
    images: dict[str, dict[str, str]] = {}
    """Template -> content hash -> build time, of every good image."""
    for r in resources:
        if isinstance(r, dict) and r.get("kind") == "image" and r.get("status", "ok") == "ok" and r.get("template"):
            images.setdefault(str(r["template"]), {})[str(r.get("image_hash"))] = str(r.get("created_at") or "")
    current = {t: h for t, h in current.items() if h in images.get(t, {})}
    for t, built in images.items():
        if t not in current and t in doc["current"]:
            current[t] = max(built, key=lambda h: (built[h], h))
    in_service: dict[str, list[dict[str, Any]]] = {}
    for t, built in sorted(images.items()):
        order = sorted((h for h in built if h != current.get(t)), key=lambda h: (built[h], h))
        if t in current:
            order.append(current[t])
        periods = []
        for i, h in enumerate(order):
            if h == current.get(t):
                until = None
            else:  # until the next one was built (never before its own build)
                until = max(built[h], built[order[i + 1]] if i + 1 < len(order) else "")
            periods.append({"hash": h, "since": built[h], "until": until})
        in_service[t] = periods
    doc["current"] = current
    doc["in_service"] = in_service
    return doc
