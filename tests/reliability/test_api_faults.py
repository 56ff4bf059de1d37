"""API faults: the alicloud example through the CLI, the real SDK and the emulator answering with
throttling, 5xx, slow answers past the SDK's read timeout and dropped connections, at rates up to
50% and in storms. Every apply either converges or stops cleanly (no traceback, a message saying
what to do) with nothing in the cloud that state does not track; once the faults stop, the next
apply converges and state is exactly the cloud, with nothing created twice.

Rounds: ``IMGB_RELIABILITY_TRIALS``, at most 9 (default: one round of mixed faults at 50%; the
full run: every kind alone, at 10%, 30% and 50% in turn, a configuration change per round).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from imgb.addresses import Kind
from imgb.providers.base import ProviderError
from imgb.reconciler.apply import RetryPolicy, adopt_operations
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from imgb.state.model import Operation
from tests.alicloud.emulator import Faults
from tests.fakes import FakeProvider
from tests.reliability.crash_sites import TRACEBACK, Site, report, start_emulator, trials
from tests.reliability.faults_api import READ_TIMEOUT, Storm, fault_mix

ROUNDS = min(trials(1), 9)
# The full run tries each kind alone; CI tries them together (the "mixed" kind).
KINDS = ["throttling", "5xx", "timeouts", "dropped", "mixed"] if ROUNDS > 1 else ["mixed"]
PUT_TEMPLATE = r'"op":"put","resource":\{"address":"template\.'


@pytest.fixture
def emulator() -> Iterator[Any]:
    em = start_emulator(seed=5, phase_seconds=0.05, copy_seconds=0.1)
    try:
        yield em
    finally:
        em.stop()


@pytest.fixture
def site(tmp_path: Path, emulator: Any) -> Site:
    return Site.create(tmp_path / "ali", "alicloud", "local", emulator=emulator)


def _env() -> dict[str, str]:
    return {"IMGB_ALICLOUD_READ_TIMEOUT_SECONDS": READ_TIMEOUT}


def _apply_until_converged(site: Site, attempts: int = 5) -> tuple[int, list[str]]:
    """Apply under faults until one succeeds; every failed one must stop cleanly."""
    stops: list[str] = []
    for _ in range(attempts):
        r = site.apply(env=_env())
        assert r.code in (0, 1) and TRACEBACK not in r.out + r.err, r.text()
        assert "internal error" not in r.err, r.text()
        if r.code == 0:
            return len(stops) + 1, stops
        # Says what went wrong and what to do: a failed action's code, or an error.
        assert "Error" in r.err or ("Apply failed" in r.err and "run imgb apply again" in r.err), r.text()
        stops.append(r.err.strip().splitlines()[-1])
        site.check_nothing_untracked()
    raise AssertionError(f"no apply converged in {attempts} attempts: {stops}")


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_apply_converges_or_stops_cleanly_under_api_faults(site: Site, emulator: Any, kind: str) -> None:
    rates = [0.5] if ROUNDS == 1 else [(0.1, 0.3, 0.5)[i % 3] for i in range(ROUNDS)]
    rng = random.Random(kind)
    faults = 0
    for i, rate in enumerate(rates):
        what = "create everything" if i == 0 else site.mutate(rng)
        emulator.set_faults(fault_mix(kind, rate, seed=i))
        t0 = time.monotonic()
        applies, stops = _apply_until_converged(site)
        injected = sum(1 for entry in emulator.log if entry.fault) - faults
        faults += injected
        emulator.set_faults(Faults())
        assert site.cli("plan", "--detailed-exitcode").code == 0
        site.check_true_to_cloud()
        report({"suite": "api", "kind": kind, "rate": rate, "round": i, "change": what, "applies": applies,
                "stops": stops, "faults": injected, "seconds": round(time.monotonic() - t0, 1), "lost": 0})
    assert faults > 0


@pytest.mark.slow
def test_apply_rides_out_throttling_storms_and_5xx_bursts(site: Site, emulator: Any) -> None:
    """Everything fails for a second and a half, then nothing for a second and a half, and so on."""
    def burst(n: int) -> Faults:
        return Faults(seed=n, throttle_rate=1.0, retry_after=None) if n % 2 else Faults(seed=n, server_error_rate=1.0)

    rng = random.Random(7)
    for i in range(max(1, ROUNDS)):
        what = "create everything" if i == 0 else site.mutate(rng)
        with Storm(emulator, burst, on=1.5, off=1.5) as storm:
            applies, stops = _apply_until_converged(site)
        assert any(entry.fault for entry in emulator.log), "no request met the storm"
        assert site.cli("plan", "--detailed-exitcode").code == 0
        site.check_true_to_cloud()
        report({"suite": "api", "kind": "storms", "round": i, "change": what, "applies": applies, "stops": stops,
                "bursts": storm.bursts, "lost": 0})


@pytest.mark.slow
def test_adoption_rides_out_a_storm_without_starting_anything_twice(site: Site, emulator: Any) -> None:
    """Regression: adopting what a killed apply left in flight gave up at the first transient error,
    dropped the operation's marker and let the plan start it again under a new token: two templates
    for one configuration, one of them untracked."""
    site.converge()
    site.knobs.version += 1
    site.write_config()
    # The template exists; state does not know it. One action at a time: exactly one is in flight.
    killed = site.cli("apply", "--auto-approve", "--parallelism", "1", env={"IMGB_CRASH_ON": PUT_TEMPLATE})
    assert killed.killed, killed.text()
    assert site.state().operations
    storm = Storm(emulator, lambda n: Faults(throttle_rate=1.0, retry_after=None,
                                             actions=frozenset({"CreateImagePipeline"})), on=3.0, off=0, times=1)
    with storm:
        r = site.apply()
    assert r.code == 0, r.text()
    assert site.cli("plan", "--detailed-exitcode").code == 0
    site.check_true_to_cloud()


@pytest.mark.slow
def test_adoption_that_cannot_finish_stops_before_planning(site: Site, emulator: Any) -> None:
    """The storm outlasts the retries: the apply stops with a clear message, keeps the marker and
    starts nothing; once the storm is over the next apply adopts the same operation."""
    site.converge()
    site.knobs.version += 1
    site.write_config()
    # One action at a time: exactly one template is in flight when the process dies.
    killed = site.cli("apply", "--auto-approve", "--parallelism", "1", env={"IMGB_CRASH_ON": PUT_TEMPLATE})
    assert killed.killed, killed.text()
    ops = site.state().operations
    assert [o.address for o in ops] == ['template.web["alinux"]'], ops
    emulator.set_faults(Faults(throttle_rate=1.0, retry_after=None, actions=frozenset({"CreateImagePipeline"})))
    r = site.apply()
    assert r.code == 1 and TRACEBACK not in r.err, r.text()
    assert "Operations left in progress could not be finished" in r.err and "Run imgb apply again" in r.err, r.text()
    assert [o.token for o in site.state().operations] == [o.token for o in ops]  # kept, same tokens
    site.check_nothing_untracked()
    emulator.set_faults(Faults())
    site.converge()
    site.check_true_to_cloud()


class _Flaky(FakeProvider):
    """Every start fails with a retryable error while ``storm`` is set."""

    storm = True

    def start(self, kind: Kind, desired: Mapping[str, Any], token: str) -> dict[str, Any]:
        if self.storm:
            raise ProviderError("Throttling", "slow down", retryable=True)
        return super().start(kind, desired, token)


def test_adopt_keeps_the_marker_of_an_operation_a_transient_error_left_unfinished(tmp_path: Path) -> None:
    manager = StateManager(LocalBackend(tmp_path / "imgb.state.json"))
    provider = _Flaky("local-1")
    op = Operation(address="template.web", kind="template", provider="local", token="t1", handle={},
                   desired={"name": "web"}, started_at="2024-01-01T00:00:00Z")
    with manager.session("apply") as s:
        s.begin_operation(op)
    policy = RetryPolicy(attempts=3, sleep=lambda _: None)
    with manager.session("apply") as s:
        failures = adopt_operations(s, {"local": provider}, retry=policy)
        assert [f.code for f in failures] == ["Throttling"]
    assert [o.token for o in manager.load().operations] == ["t1"]  # still there: nothing started twice
    provider.storm = False
    with manager.session("apply") as s:
        assert adopt_operations(s, {"local": provider}, retry=policy) == []
    state = manager.load()
    assert not state.operations and [r.address for r in state.resources] == ["template.web"]
    assert [c["token"] for c in provider.created()] == ["t1"]


@pytest.mark.slow
def test_plans_under_throttling_retry_their_reads(site: Site, emulator: Any) -> None:
    """Regression: base-image lookups and refresh reads were not retried, so a plan at 30%
    throttling failed with "Base image not found" for an image that exists."""
    site.converge()
    fast = {"IMGB_ALICLOUD_POLL_SECONDS": "0.01"}
    emulator.set_faults(Faults(seed=3, throttle_rate=0.3, retry_after=None))
    for _ in range(3):
        r = site.cli("plan", "--detailed-exitcode", env=fast)
        assert r.code == 0, r.text()
    # Past the retries, the error says what happened, not that the image is missing.
    emulator.set_faults(Faults(throttle_rate=1.0, retry_after=None, actions=frozenset({"DescribeImages"})))
    r = site.cli("plan", env=fast)
    assert r.code == 1 and TRACEBACK not in r.err, r.text()
    assert "Base image could not be looked up" in r.err and "Base image not found" not in r.err, r.text()
    assert "run the command again" in r.err
