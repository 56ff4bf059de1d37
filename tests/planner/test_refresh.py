"""Refresh (planner.refresh): reads that wait on a cloud run in a thread pool, the local
provider's (``reads_wait = False``) in the calling thread; either way, the same answers."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.addresses import Kind
from imgb.providers.local.provider import LocalProvider
from imgb.reconciler.planner import refresh
from imgb.state.model import ResourceState, State
from tests.fakes import FakeProvider


class Recording(FakeProvider):
    """Answers every read (objects 'gone-*' are gone) and notes the thread that asked."""

    def __init__(self, *, waits: bool) -> None:
        super().__init__()
        if not waits:
            self.reads_wait = False
        self.threads: set[int] = set()

    def read(self, kind: Kind, id: str, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
        self.threads.add(threading.get_ident())
        return None if id.startswith("gone-") else {"id": id}


def a_state(*providers: str) -> State:
    return State(resources=[
        ResourceState(address=f"component.c{i}_{p}", kind=Kind.COMPONENT, provider=p, id=f"{'gone-' if i % 3 == 0 else ''}{p}{i}")
        for p in providers for i in range(6)
    ])


def test_local_reads_run_in_the_calling_thread_and_cloud_reads_in_a_pool() -> None:
    local, cloud = Recording(waits=False), Recording(waits=True)
    state = a_state("local", "cloud", "missing")
    gone, diags = refresh(state, {"local": local, "cloud": cloud}, parallelism=4)
    assert local.threads == {threading.get_ident()}
    assert threading.get_ident() not in cloud.threads
    assert sorted(gone) == sorted(r.key for r in state.resources if r.id.startswith("gone-") and r.provider != "missing")
    assert [d.address for d in diags] == [r.address for r in state.resources if r.provider == "missing"]

    # The same answers whichever way each provider is read.
    serial = refresh(state, {"local": Recording(waits=False), "cloud": Recording(waits=False)})
    assert serial[0] == gone and [d.to_json() for d in serial[1]] == [d.to_json() for d in diags]


def test_the_local_provider_reads_without_threads(tmp_path: Path) -> None:
    assert LocalProvider(tmp_path / "store").reads_wait is False
    assert getattr(FakeProvider(), "reads_wait", True) is True  # a provider that does not say waits
