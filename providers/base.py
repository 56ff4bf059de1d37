"""The Provider protocol: the seam between imgb's engine and a cloud (local or Alibaba).

A provider knows nothing of plans, graphs or state. The engine asks it to create, read and
delete five kinds of objects, one at a time, and persists what it answers.

Kinds and the attributes the engine passes to ``start`` (``desired``) and expects back:

``component``
    in: name, version (x.y.z), type (Build|Test), system_type (Linux|Windows), description,
    content, tags (dict). out: id (``ic-…``), name, version.
``template``
    in: name, description, base_image (an image id, already resolved), build_content and
    test_content (COMPONENT references already resolved to ids), instance_type, system_disk_size,
    internet_max_bandwidth_out, vswitch_id, delete_instance_on_failure, image_name, image_family,
    image_description, image_tags, tags. out: id (``ip-…``).
``image``
    a build of a template. in: template_id, content_hash, image_name, image_family, image_tags,
    tags, context_dir (the configuration directory, for COPY sources; never persisted),
    sensitive_values (strings the build's logs and messages must show as "(sensitive)"; never
    persisted).
    out: id (``m-…``), region, status (``Available``, or ``TEST_FAILED`` when the template's test
    failed: the image exists but must not be distributed), size, execution_id.
``copy``
    in: source_image_id, source_region, region, image_name, content_hash, tags.
    out: id (the image id in ``region``), region.
``share``
    in: image_id, region, account. out: id (``<image_id>/<account>``).

Contract every implementation keeps (``providers.contract`` tests it):

* ``start`` is idempotent per ``token``: calling it again with the same token (after a crash, or
  a retry after a lost response) returns the same operation and never creates a second object.
* ``start`` returns a JSON-safe handle. The engine persists it before calling ``wait``, so that a
  killed ``imgb apply`` can call ``wait`` again with that handle from a new process and adopt the
  operation (a running build is polled, not restarted).
* ``wait`` returns the object's attributes once it exists and is usable, or raises
  ``ProviderError``. When it raises, the object either does not exist, or its id is in
  ``ProviderError.partial`` so the engine can record and clean it up.
* ``read`` returns current attributes, or ``None`` when the object is gone.
* ``delete`` of something already gone succeeds. After a failed delete the object still exists.
* Errors say whether retrying the same call may succeed (``retryable``); the engine retries.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from imgb.addresses import Kind
from imgb.diagnostics import Diagnostic
from imgb.plugins import Setting


class ProviderError(Exception):
    """A failed provider call, with the cloud's own code and request id for support tickets."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        request_id: str | None = None,
        retry_after: float | None = None,
        partial: Mapping[str, Any] | None = None,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable
        self.request_id = request_id
        self.retry_after = retry_after
        self.partial = dict(partial) if partial else None


class Cancelled(ProviderError):
    """The operation was cancelled through ``cancel``."""

    def __init__(self, message: str = "the operation was cancelled"):
        super().__init__("Cancelled", message)


@dataclass(frozen=True)
class KindSchema:
    """How a provider's objects of one kind change: what replaces them, what it computes."""

    force_new: frozenset[str] = frozenset()
    """Attributes whose change replaces the object (every attribute, for immutable kinds)."""
    computed: frozenset[str] = frozenset()
    """Attributes the provider sets (id, status, size...): never diffed."""
    create_before_destroy: bool = True
    """A replacement creates the new object before deleting the old one."""
    long_running: bool = False
    """``start`` returns at once and ``wait`` may take minutes (builds, copies)."""


@dataclass(frozen=True)
class Limits:
    """What the cloud accepts: concurrency the scheduler keeps to (besides --parallelism), and
    sizes the offline checks hold a configuration to. None: no limit."""

    builds_per_template: int = 1
    copies_per_region: int | None = None
    """At most this many copies into one region at once (Alibaba: 5)."""
    requests_per_second: float | None = None
    regions_per_template: int | None = None
    """Distribution regions of one template, its home region aside (Alibaba: 20)."""
    accounts_per_template: int | None = None
    """Accounts one template's image is shared with (Alibaba: 20)."""
    commands_per_content: int | None = None
    """Commands in one component's content or one template's build or test (Alibaba: 127)."""


@dataclass(frozen=True)
class ProviderSchema:
    """A provider's kinds and its documented limits."""

    kinds: Mapping[Kind, KindSchema]
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class ProviderType:
    """What an ``imgb.providers`` entry point names (``imgb/plugins.py``): the provider's block, its
    schema, and how to open it. Plain data, cheap to import: ``opener`` ("module:callable", called
    with the block's region, its other settings and the configuration directory) is imported
    only when a configuration uses the provider, so a cloud's SDK loads only then."""

    block: Mapping[str, Setting]
    """The provider block's attributes; ``region`` and ``alias`` are every provider's (declare
    ``region`` to give it a default or make it required)."""
    schema: ProviderSchema
    opener: str

    def open(self, region: str, settings: Mapping[str, Any], directory: Path) -> Provider:
        """The provider of a block: its region, its other settings (the declared defaults filled
        in), and the configuration directory."""
        settings = {**{n: s.default for n, s in self.block.items() if s.default is not None}, **settings}
        module, _, name = self.opener.partition(":")
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        provider: Provider = obj(region, settings, directory)
        return provider


class Progress(Protocol):
    def __call__(self, message: str, *, phase: str | None = None) -> None: ...


def no_progress(message: str, *, phase: str | None = None) -> None:
    """A Progress that discards messages."""


@runtime_checkable
class Provider(Protocol):
    type: str
    """local or alicloud."""
    region: str
    """The home region: components and templates live here, builds run here."""

    def schema(self) -> ProviderSchema: ...

    def check(self, kind: Kind, desired: Mapping[str, Any], address: str) -> list[Diagnostic]:
        """Plan-time checks with no side effects (unsupported actions, preflight of quotas,
        base images, instance types, regions). Diagnostics carry ``address``."""
        ...

    def resolve_base_image(self, image: str | None, family: str | None) -> str:
        """The id of the base image to build from: ``image`` (an id or a name) as it is, or the
        newest available image of ``family`` in the home region. Raises ProviderError when none."""
        ...

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        """Begin creating an object; returns a JSON-safe handle. Idempotent per token."""
        ...

    def wait(self, kind: Kind, handle: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        """Block until the object exists; return its attributes (with ``id``)."""
        ...

    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        """The object's current attributes, or None when it is gone. Refresh calls it from
        several threads at once, unless the provider's class sets ``reads_wait = False`` (an
        optional attribute, True when absent: reads answered on this machine without waiting,
        which threads would only slow down)."""
        ...

    def delete(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        """Delete the object; already gone counts as success."""
        ...

    def cancel(self, kind: Kind, handle: Mapping[str, Any]) -> None:
        """Ask a running operation to stop (a build); ``wait`` then raises Cancelled."""
        ...

    def logs(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> str:
        """The build log of an image (empty for other kinds)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Leftovers(Protocol):
    """An optional capability: objects that can leave billed parts behind when they go (an Alibaba
    image's snapshots outlive DeleteImage). A delete interrupted between the object and its parts
    (kill -9, retries exhausted) leaves an object the next refresh finds gone; the engine then calls
    ``release`` with the attributes state recorded, before it forgets the object.

    Contract (``providers.contract.LeftoversContract``): ``release`` frees only what the object left
    behind, never an object that still exists; releasing twice, or what left nothing, succeeds.
    """

    def release(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> None:
        """Free what the gone object ``id`` (its recorded ``attrs``) left behind."""
        ...


@dataclass(frozen=True)
class Quote:
    """A unit price: per hour for a build, per GiB-month for storage."""

    amount: float
    currency: str
    """ISO 4217 (``CNY``, ``USD``); empty for a provider that costs nothing (local)."""
    source: str
    """Where the price comes from, for people: ``DescribePrice``, ``snapshot price table``."""


@runtime_checkable
class Pricing(Protocol):
    """An optional capability: what builds and stored images cost (``imgb plan``'s cost estimate).

    Contract (``providers.contract.PricingContract``): prices are non-negative and in one currency
    per provider; a price that cannot be had raises ``ProviderError`` (the plan then says the
    estimate is incomplete; it never fails); no call creates or changes anything.
    """

    def build_price(self, instance_type: str | None, system_disk_size: int | None) -> Quote:
        """Per hour, the instance a build of a template runs on in the home region (``None``: the
        provider's default type), with its system disk."""
        ...

    def storage_price(self, region: str) -> Quote:
        """Per GiB-month, an image (or a copy) stored in ``region``."""
        ...

    def image_gib(self, attrs: Mapping[str, Any]) -> float | None:
        """The stored size in GiB of an image or copy from its recorded attributes, or, given a
        template's desired attributes, the expected size of its first image (None: unknown)."""
        ...
