"""kill -9 of the real ``imgb apply`` at random points, across both examples and both state backends.

Each trial changes the configuration (a new version: template replaced, build, copies, shares and
old images deleted; a region or an account added or removed; a component changed), starts
``imgb apply`` and kills it: at a random durable state write (just before it, so the provider has
acted and state has not recorded it, or just after it) or after a random delay (mid-build,
mid-copy). Then: the state loads (``imgb state list``), the next ``imgb apply`` converges (a plan
after it has no changes), and state is true to the cloud: no orphans, nothing missing, nothing
created twice (``Site.check_true_to_cloud``).

Trials per case: ``IMGB_RELIABILITY_TRIALS`` (default 3; the full run in docs/reliability.md uses 100).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures)

from tests.reliability.crash_sites import TRACEBACK, Site, report, start_emulator, trials

pytestmark = pytest.mark.slow


@pytest.fixture
def emulator() -> Iterator[object]:
    # Slow builds (five phases of 0.25 s) and copies (0.4 s), so kills land inside them.
    em = start_emulator(seed=21, phase_seconds=0.25, copy_seconds=0.4)
    try:
        yield em
    finally:
        em.stop()


def _site(request: pytest.FixtureRequest, tmp_path: Path, example: str, backend: str) -> Site:
    kw: dict[str, object] = {}
    if backend == "pg":
        kw.update(pg_dsn=request.getfixturevalue("pg_dsn"), pg_schema=request.getfixturevalue("pg_schema"))
    if example == "alicloud":
        kw["emulator"] = request.getfixturevalue("emulator")
    return Site.create(tmp_path / example, example, backend, **kw)


@pytest.mark.parametrize("backend", ["local", "pg"])
@pytest.mark.parametrize("example", ["quickstart", "alicloud"])
def test_kill_apply_at_random_points(request: pytest.FixtureRequest, tmp_path: Path, example: str, backend: str) -> None:
    site = _site(request, tmp_path, example, backend)
    site.converge()
    site.check_true_to_cloud()
    rng = random.Random(f"{example}-{backend}")
    n = trials(3)
    landed = 0
    started = time.monotonic()
    # Per kind of change: the most durable writes and seconds a whole apply took, to aim kills within.
    sizes: dict[str, tuple[int, float]] = {}
    for i in range(n):
        what = site.mutate(rng)
        writes, seconds = sizes.get(what, (site.most_writes, site.slowest))
        mode = rng.choice(["before-write", "after-write", "timer"])
        if mode == "timer":
            delay = rng.uniform(0.3, max(0.6, seconds))
            killed = site.apply(kill_after=delay)
            point = f"after {delay:.2f}s"
        else:
            at = rng.randint(1, max(2, writes))
            when = mode.split("-")[0]
            killed = site.apply(env={"IMGB_CRASH_AT": str(at), "IMGB_CRASH_WHEN": when})
            point = f"{when} durable write {at}"
        assert killed.killed or killed.code == 0, f"trial {i} ({what}, {point}): {killed.text()}"
        landed += killed.killed
        if not killed.killed:
            sizes[what] = (killed.writes, killed.seconds)
        assert TRACEBACK not in killed.err

        listing = site.cli("state", "list")
        assert listing.code == 0 and TRACEBACK not in listing.err, f"trial {i}: state does not load: {listing.text()}"
        site.converge()
        site.check_true_to_cloud()
        report({"suite": "crash", "example": example, "backend": backend, "trial": i, "change": what,
                "point": point, "killed": killed.killed, "lost": 0})
    seconds = time.monotonic() - started
    report({"suite": "crash-summary", "example": example, "backend": backend, "trials": n, "killed": landed,
            "seconds": round(seconds, 1)})
    print(f"{example}/{backend}: {landed} of {n} kills landed mid-apply in {seconds:.0f}s")
    assert landed >= n // 2, f"only {landed} of {n} kills landed mid-apply: the test is not testing"


BEGIN_IMAGE = r'"op":"begin","operation":\{"address":"image\.'


def _killed_after_the_build_was_recorded(tmp_path: Path) -> Site:
    """A quickstart whose apply died right after recording a build as started, before asking the
    provider for it."""
    site = Site.create(tmp_path / "quickstart", "quickstart", "local")
    site.converge()
    site.knobs.hardening += 1  # the first layer changes, so the COPY of a later one runs again
    site.write_config()
    killed = site.apply(env={"IMGB_CRASH_ON": BEGIN_IMAGE, "IMGB_CRASH_WHEN": "after"})
    assert killed.killed, killed.text()
    assert [o.address for o in site.state().operations] == ["image.web"]
    return site


def test_a_build_adoption_starts_gets_the_configuration_directory(tmp_path: Path) -> None:
    """Regression: adoption started such a build without the directory COPY reads from, so it
    failed (and the plan then built again under a new token)."""
    site = _killed_after_the_build_was_recorded(tmp_path)
    r = site.apply()
    assert r.code == 0 and "failed" not in r.out, r.text()
    adopted, _, planned = r.out.partition("imgb will perform the following actions")
    assert "image.web: Built" in adopted and "image.web will be built" not in planned, r.text()
    site.check_true_to_cloud()


def test_a_build_whose_worker_never_started_is_started_again(tmp_path: Path) -> None:
    """Regression: killed inside start, after the provider queued the build and before its worker
    was launched. Adoption waited on it, was told the worker was lost (retryable), and retried the
    wait, which can only say so again: every later apply stopped there. It now asks start again
    with the same token, which launches the build."""
    import json
    import time as clock

    from imgb.providers.local.store import Store, now_iso, token_key

    site = _killed_after_the_build_was_recorded(tmp_path)
    op = site.state().operations[0]
    store = Store(site.directory / ".imgb" / "cloud")
    key = token_key(f"image\n{op.token}")
    store.put_op({"key": key, "kind": "image", "region": "local-1", "created": now_iso(), "attempt": 1,
                  "ready_at": clock.time() - 60, "state": "queued", "step_timeout": 3600.0,
                  "desired": {k: op.desired.get(k) for k in ("template_id", "content_hash", "image_name",
                                                            "image_family", "image_tags", "tags")}})
    r = site.apply()
    assert r.code == 0, r.text()
    assert json.loads(store.op_path(key).read_text())["state"] == "done"  # the same operation, started again
    site.check_true_to_cloud()
