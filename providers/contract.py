"""The provider contract suite: behaviour every ``Provider`` must show, as reusable pytest tests.

Use it by subclassing ``ProviderContract`` in a test module and defining three fixtures::

    class TestLocalContract(ProviderContract):
        @pytest.fixture
        def provider(self, tmp_path): return LocalProvider(tmp_path / "cloud", "local-1")

        @pytest.fixture
        def fresh_provider(self, provider): return LocalProvider(provider.store.root, provider.region)

        @pytest.fixture
        def sample(self): return my_sample   # (kind, made) -> desired attributes

``sample(kind, made)`` returns valid desired attributes for ``kind``; ``made`` maps each kind
already created in the chain (component → template → image → copy → share) to its attributes,
so a template can reference ``made[Kind.COMPONENT]["id"]``, an image ``made[Kind.TEMPLATE]["id"]``,
a copy the image's id and region, and a share the copy's id and region. ``fresh_provider`` is a
second instance over the same cloud, standing in for a new ``imgb apply`` process after a crash.

What is tested (the contract in ``providers.base``): create/read/delete round trips for every
kind; read after delete is ``None``; deleting what is gone succeeds; ``start`` twice with one
token makes one object; a fresh instance can ``wait`` on a persisted handle; handles are JSON;
errors are ``ProviderError`` with ``retryable`` set; valid samples pass ``check``.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from imgb.addresses import KIND_ORDER, Kind
from imgb.diagnostics import Severity
from imgb.providers.base import (
    Leftovers,
    Pricing,
    Provider,
    ProviderError,
    ProviderSchema,
    Quote,
    no_progress,
)

Sample = Callable[[Kind, dict[Kind, dict[str, Any]]], dict[str, Any]]
CHAIN = sorted(Kind, key=lambda k: KIND_ORDER[k])


def create(provider: Provider, kind: Kind, desired: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """start + wait, the way the engine does it (the handle goes through JSON, as in state)."""
    handle = provider.start(kind, desired, token or f"contract-{uuid.uuid4()}")
    handle = json.loads(json.dumps(handle))
    return provider.wait(kind, handle, no_progress)


class Chain:
    """Objects created up to a kind, deleted in reverse dependency order at the end."""

    def __init__(self, provider: Provider, sample: Sample):
        self.provider = provider
        self.sample = sample
        self.made: dict[Kind, dict[str, Any]] = {}
        self.desired: dict[Kind, dict[str, Any]] = {}

    def upto(self, last: Kind) -> dict[str, Any]:
        for kind in CHAIN:
            if kind not in self.made:
                self.desired[kind] = self.sample(kind, dict(self.made))
                attrs = create(self.provider, kind, self.desired[kind])
                self.made[kind] = {**self.desired[kind], **attrs}
            if kind == last:
                break
        return self.made[last]

    def teardown(self) -> None:
        for kind in reversed(CHAIN):
            if kind in self.made:
                attrs = self.made.pop(kind)
                try:
                    self.provider.delete(kind, attrs["id"], attrs)
                except ProviderError:
                    pass


class ProviderContract:
    """Subclass and provide the ``provider``, ``fresh_provider`` and ``sample`` fixtures."""

    @pytest.fixture
    def provider(self) -> Provider:
        raise NotImplementedError("define the provider fixture")

    @pytest.fixture
    def fresh_provider(self, provider: Provider) -> Provider:
        raise NotImplementedError("define the fresh_provider fixture")

    @pytest.fixture
    def sample(self) -> Sample:
        raise NotImplementedError("define the sample fixture")

    @pytest.fixture
    def chain(self, provider: Provider, sample: Sample) -> Iterator[Chain]:
        c = Chain(provider, sample)
        try:
            yield c
        finally:
            c.teardown()

    # -- the contract ----------------------------------------------------------------------------
    def test_is_a_provider(self, provider: Provider) -> None:
        assert isinstance(provider, Provider)
        assert provider.type and provider.region

    def test_schema_covers_every_kind(self, provider: Provider) -> None:
        schema = provider.schema()
        assert isinstance(schema, ProviderSchema)
        assert set(schema.kinds) == set(Kind)
        for kind in (Kind.IMAGE, Kind.COPY):
            assert schema.kinds[kind].long_running, f"{kind} should be long-running"
        for kind, ks in schema.kinds.items():
            assert "id" in ks.computed, f"{kind}: id must be computed"

    @pytest.mark.parametrize("kind", CHAIN, ids=str)
    def test_valid_samples_pass_check(self, provider: Provider, chain: Chain, kind: Kind) -> None:
        if kind is not Kind.COMPONENT:
            chain.upto(CHAIN[CHAIN.index(kind) - 1])
        desired = chain.sample(kind, dict(chain.made))
        diags = provider.check(kind, desired, f"{kind}.contract")
        assert [d for d in diags if d.severity is Severity.ERROR] == []

    @pytest.mark.parametrize("kind", CHAIN, ids=str)
    def test_create_read_delete_round_trip(self, provider: Provider, chain: Chain, kind: Kind) -> None:
        attrs = chain.upto(kind)
        assert attrs.get("id"), f"wait must return the {kind}'s id"
        current = provider.read(kind, attrs["id"], attrs)
        assert current is not None, f"read of a fresh {kind} returned None"
        assert current.get("id", attrs["id"]) == attrs["id"]
        chain.made.pop(kind)
        provider.delete(kind, attrs["id"], attrs)
        assert provider.read(kind, attrs["id"], attrs) is None, f"read after delete of a {kind} must be None"
        provider.delete(kind, attrs["id"], attrs)  # already gone: still a success

    @pytest.mark.parametrize("kind", CHAIN, ids=str)
    def test_start_is_idempotent_per_token(self, provider: Provider, chain: Chain, kind: Kind) -> None:
        if kind is not Kind.COMPONENT:
            chain.upto(CHAIN[CHAIN.index(kind) - 1])
        desired = chain.sample(kind, dict(chain.made))
        token = f"contract-{uuid.uuid4()}"
        first = provider.start(kind, desired, token)
        second = provider.start(kind, desired, token)
        assert json.loads(json.dumps(first)) == first, "handles must be JSON-safe"
        a = provider.wait(kind, first, no_progress)
        b = provider.wait(kind, second, no_progress)
        assert a["id"] == b["id"], "two starts with one token must make one object"
        chain.made[kind] = {**desired, **a}
        # A third start after completion (a retry after a lost response) still finds it.
        c = provider.wait(kind, provider.start(kind, desired, token), no_progress)
        assert c["id"] == a["id"]

    @pytest.mark.parametrize("kind", [Kind.IMAGE, Kind.COPY], ids=str)
    def test_wait_adopts_from_a_fresh_instance(
        self, provider: Provider, fresh_provider: Provider, chain: Chain, kind: Kind
    ) -> None:
        chain.upto(CHAIN[CHAIN.index(kind) - 1])
        desired = chain.sample(kind, dict(chain.made))
        handle = json.loads(json.dumps(provider.start(kind, desired, f"contract-{uuid.uuid4()}")))
        attrs = fresh_provider.wait(kind, handle, no_progress)
        chain.made[kind] = {**desired, **attrs}
        assert fresh_provider.read(kind, attrs["id"], chain.made[kind]) is not None
        assert provider.read(kind, attrs["id"], chain.made[kind]) is not None

    def test_copy_of_a_missing_image_is_a_classified_error(self, provider: Provider, chain: Chain) -> None:
        image = chain.upto(Kind.IMAGE)
        desired = chain.sample(Kind.COPY, dict(chain.made))
        chain.made.pop(Kind.IMAGE)
        provider.delete(Kind.IMAGE, image["id"], image)
        with pytest.raises(ProviderError) as info:
            create(provider, Kind.COPY, desired)
        assert info.value.retryable is False
        assert info.value.code

    def test_share_of_a_missing_image_is_a_classified_error(self, provider: Provider, chain: Chain) -> None:
        copy = chain.upto(Kind.COPY)
        desired = chain.sample(Kind.SHARE, dict(chain.made))
        chain.made.pop(Kind.COPY)
        provider.delete(Kind.COPY, copy["id"], copy)
        with pytest.raises(ProviderError) as info:
            create(provider, Kind.SHARE, desired)
        assert info.value.retryable is False

    def test_logs_are_text(self, provider: Provider, chain: Chain) -> None:
        image = chain.upto(Kind.IMAGE)
        assert isinstance(provider.logs(Kind.IMAGE, image["id"], image), str)
        component = chain.made[Kind.COMPONENT]
        assert provider.logs(Kind.COMPONENT, component["id"], component) == ""


class PricingContract:
    """The ``Pricing`` capability's contract, for providers that offer it: mixed into the provider's
    ``ProviderContract`` class (``class TestX(ProviderContract, PricingContract)``), whose
    ``provider`` and ``chain`` it uses, with two more fixtures:

    - ``regions``: the regions to price storage in;
    - ``cloud_snapshot``: a callable returning a comparable picture of the cloud, to show that
      pricing creates and changes nothing;
    - ``unpriceable`` (only with ``PricingFailureContract``): makes the next prices unavailable.
    """

    def test_is_priced(self, provider: Provider) -> None:
        assert isinstance(provider, Pricing)

    def test_prices_are_non_negative_in_one_currency_and_change_nothing(
        self, provider: Provider, regions: list[str], cloud_snapshot: Callable[[], Any]
    ) -> None:
        assert isinstance(provider, Pricing)
        before = cloud_snapshot()
        quotes = [provider.build_price(None, None), provider.build_price(None, 80)]
        quotes += [provider.storage_price(r) for r in regions]
        assert cloud_snapshot() == before, "pricing created or changed something"
        for q in quotes:
            assert isinstance(q, Quote) and math.isfinite(q.amount) and q.amount >= 0, q
            assert isinstance(q.source, str) and q.source, q
        assert len({q.currency for q in quotes}) == 1, quotes

    def test_a_bigger_system_disk_never_costs_less(self, provider: Provider) -> None:
        assert isinstance(provider, Pricing)
        assert provider.build_price(None, 200).amount >= provider.build_price(None, 40).amount

    def test_a_made_image_has_a_size(self, provider: Provider, chain: Chain) -> None:
        # A copy may leave its size unknown (the estimate then uses its image's).
        assert isinstance(provider, Pricing)
        size = provider.image_gib(chain.upto(Kind.IMAGE))
        assert size is not None and math.isfinite(size) and size >= 0, size
        copy_size = provider.image_gib(chain.upto(Kind.COPY))
        assert copy_size is None or (math.isfinite(copy_size) and copy_size >= 0), copy_size


class PricingFailureContract:
    """For providers whose prices can be unavailable: that is a ``ProviderError``, never another error."""

    def test_an_unavailable_price_is_a_provider_error(self, provider: Provider, unpriceable: Callable[[], None]) -> None:
        assert isinstance(provider, Pricing)
        unpriceable()
        with pytest.raises(ProviderError):
            provider.build_price(None, None)


class LeftoversContract:
    """The ``Leftovers`` capability's contract, mixed into the provider's ``ProviderContract`` class:
    releasing an object that exists changes nothing; releasing a deleted one, twice, succeeds."""

    def test_has_leftovers(self, provider: Provider) -> None:
        assert isinstance(provider, Leftovers)

    @pytest.mark.parametrize("kind", CHAIN)
    def test_release_never_touches_what_exists(self, provider: Provider, chain: Chain, kind: Kind) -> None:
        assert isinstance(provider, Leftovers)
        made = chain.upto(kind)
        provider.release(kind, made["id"], made)
        assert provider.read(kind, made["id"], made) is not None, "release removed an object that exists"

    def test_release_after_delete_is_idempotent(self, provider: Provider, chain: Chain) -> None:
        assert isinstance(provider, Leftovers)
        chain.upto(Kind.SHARE)
        for kind in reversed(CHAIN):
            made = chain.made.pop(kind)
            provider.delete(kind, made["id"], made)
            provider.release(kind, made["id"], made)
            provider.release(kind, made["id"], made)
            assert provider.read(kind, made["id"], made) is None
