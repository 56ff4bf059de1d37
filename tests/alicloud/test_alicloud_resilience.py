"""Faults: creates converge under throttling and 5xx with no object made twice; waits survive
transient errors; a fresh provider adopts a running build by its handle."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from imgb.providers.base import ProviderError, no_progress
from tests.alicloud.conftest import BASE_IMAGE, HOME, ProviderFactory, Recorder
from tests.alicloud.emulator import Emulator, Faults

T = TypeVar("T")


def retrying(fn: Callable[[], T], attempts: int = 60) -> T:
    """A small stand-in for the engine's retry: same call (same token) until it succeeds."""
    for _ in range(attempts - 1):
        try:
            return fn()
        except ProviderError as err:
            if not err.retryable:
                raise
            time.sleep(0.002)
    return fn()


def test_creates_converge_under_faults_without_duplicates(make_provider: ProviderFactory, emulator: Emulator) -> None:
    provider = make_provider(max_backoff=0.02)
    emulator.world.timings.phase_seconds = 0.01
    emulator.set_faults(Faults(seed=11, throttle_rate=0.3, retry_after=1, server_error_rate=0.1, drop_rate=0.03))

    def create(kind: str, desired: dict[str, Any], token: str) -> dict[str, Any]:
        handle = retrying(lambda: provider.start(kind, desired, token))
        return retrying(lambda: provider.wait(kind, json.loads(json.dumps(handle)), no_progress))

    comps = [create("component", {"name": f"c{i}", "version": "1.0.0", "content": f"RUN echo {i}"}, f"tok-c{i}")
             for i in range(4)]
    templates = [create("template", {"name": f"t{i}", "base_image": BASE_IMAGE,
                                     "build_content": f"COMPONENT {c['id']}"}, f"tok-t{i}")
                 for i, c in enumerate(comps[:2])]
    images = [create("image", {"template_id": t["id"], "content_hash": f"h{i}"}, f"tok-i{i}")
              for i, t in enumerate(templates)]
    copies = [create("copy", {"source_image_id": img["id"], "source_region": HOME, "region": "cn-shanghai"},
                     f"tok-cp{i}") for i, img in enumerate(images)]
    for i, cp in enumerate(copies):
        create("share", {"image_id": cp["id"], "region": "cn-shanghai", "account": "1234567890123456"}, f"tok-s{i}")

    counts = emulator.world.created_counts()
    assert (counts["component"], counts["template"], counts["execution"], counts["copy"]) == (4, 2, 2, 2)
    assert counts["image"] == 2
    faults = [entry.fault for entry in emulator.log if entry.fault]
    # The faults really happened, including after the operation took effect.
    assert sum(f == "throttle" for f in faults) >= 5 and any(f.endswith("-after") for f in faults)
    emulator.set_faults(Faults())
    assert all(len(provider.shared_accounts("cn-shanghai", cp["id"])) == 1 for cp in copies)


def test_wait_survives_transient_errors(make_provider: ProviderFactory, emulator: Emulator) -> None:
    provider = make_provider(max_backoff=0.02)
    template = provider.wait("template", provider.start("template", {"name": "tpl", "base_image": BASE_IMAGE,
                                                                     "build_content": "RUN true"}, "t"), no_progress)
    handle = provider.start("image", {"template_id": template["id"], "content_hash": "h"}, "i")
    emulator.set_faults(Faults(seed=5, throttle_rate=0.4, server_error_rate=0.2, drop_rate=0.05,
                               actions=frozenset({"DescribeImagePipelineExecutions", "DescribeImages", "TagResources"})))
    image = provider.wait("image", handle, no_progress)
    assert image["status"] == "Available"


def test_wait_gives_up_after_the_transient_budget(make_provider: ProviderFactory, emulator: Emulator) -> None:
    provider = make_provider(max_backoff=0.001, max_transient_errors=3)
    template = provider.wait("template", provider.start("template", {"name": "tpl", "base_image": BASE_IMAGE}, "t"),
                             no_progress)
    handle = provider.start("image", {"template_id": template["id"], "content_hash": "h"}, "i")
    emulator.set_faults(Faults(throttle_rate=1.0, actions=frozenset({"DescribeImagePipelineExecutions"})))
    with pytest.raises(ProviderError) as exc:
        provider.wait("image", handle, no_progress)
    assert exc.value.retryable and exc.value.code == "Throttling.User"


def test_fresh_provider_adopts_running_build(make_provider: ProviderFactory, emulator: Emulator) -> None:
    first = make_provider()
    template = first.wait("template", first.start("template", {"name": "tpl", "base_image": BASE_IMAGE}, "t"),
                          no_progress)
    emulator.world.timings.phase_seconds = 0.1
    handle = json.loads(json.dumps(first.start("image", {"template_id": template["id"], "content_hash": "h"}, "i")))
    first.close()
    del first
    second = make_provider()  # as a new `imgb apply` process would, from the persisted handle
    progress = Recorder()
    image = second.wait("image", handle, progress)
    assert image["execution_id"] == handle["execution_id"]
    assert "PREPARING" in progress.phases or "BUILDING" in progress.phases
    starts = [e for e in emulator.log if e.action == "StartImagePipelineExecution"]
    assert len(starts) == 1 and emulator.world.created_counts()["execution"] == 1


def test_fresh_provider_adopts_running_copy(make_provider: ProviderFactory, emulator: Emulator) -> None:
    first = make_provider()
    template = first.wait("template", first.start("template", {"name": "tpl", "base_image": BASE_IMAGE}, "t"),
                          no_progress)
    image = first.wait("image", first.start("image", {"template_id": template["id"], "content_hash": "h"}, "i"),
                       no_progress)
    emulator.world.timings.copy_seconds = 0.3
    handle = first.start("copy", {"source_image_id": image["id"], "source_region": HOME, "region": "eu-central-1"}, "c")
    copy = make_provider().wait("copy", json.loads(json.dumps(handle)), no_progress)
    assert copy["id"] == handle["id"] and emulator.world.created_counts()["copy"] == 1
