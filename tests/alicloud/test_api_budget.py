"""The API budget (issue #20, goal 3) through the CLI against the emulator: a refreshing plan costs
listing pages per region and kind plus one share-permission read per shared image, finds the same
drift as one read per object, and apply polls every build and copy in flight with one request per
region per interval. ``python -m bench.api_budget`` measures the same at 200 templates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.api_budget import configuration
from tests.alicloud.emulator import Emulator
from tests.alicloud.site import Site, cli_env

HOME = "cn-hangzhou"
REGIONS = ("cn-shanghai", "cn-beijing", "ap-southeast-1")
TEMPLATES, ACCOUNTS = 6, 2


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=20, phase_seconds=0.25, copy_seconds=0.25, regions=(HOME, *REGIONS, "eu-central-1")) as em:
        yield em


def budget_site(tmp_path: Path, emulator: Emulator) -> Site:
    d = tmp_path / "budget"
    d.mkdir()
    text = configuration(TEMPLATES, len(REGIONS), ACCOUNTS, f"http://{emulator.endpoint}")
    for i, region in enumerate(("cn-shanghai", "cn-beijing", "cn-qingdao")):
        text = text.replace(f'"{region}"', f'"{REGIONS[i]}"', 1)  # the emulator's regions
    (d / "main.imgb.hcl").write_text(text)
    site = Site(d, emulator, cli_env())
    site.env["IMGB_ALICLOUD_POLL_SECONDS"] = "0.05"
    return site


def test_apply_polls_by_region_and_plan_reads_by_listing(tmp_path: Path, emulator: Emulator) -> None:
    site = budget_site(tmp_path, emulator)
    t0 = time.monotonic()
    site.converge("-parallelism=20")
    seconds = time.monotonic() - t0
    counts = emulator.request_counts()
    # One request per build per poll would be TEMPLATES builds x (their duration / 0.05 s) polls.
    build_seconds = 0.25 * 5  # PREPARING, BUILDING, DISTRIBUTING, RELEASING, SUCCESS
    per_build = TEMPLATES * build_seconds / 0.05
    assert counts["DescribeImagePipelineExecutions"] < per_build / 2, (counts, seconds)
    site.check_all()

    # A refreshing plan: listings, not one read per object.
    emulator.reset_log()
    r = site.run("plan", "-detailed-exitcode")
    assert r.returncode == 0, r.stdout[-3000:]
    counts = emulator.request_counts()
    world = emulator.world
    shared = [i for i in world.custom_images() if i.shared_with]
    assert counts["DescribeImageSharePermission"] == len(shared)  # once per image, for all its accounts
    assert counts["DescribeImages"] <= 1 + len(REGIONS) + 1, counts  # a listing per region (+ the base image)
    assert counts["DescribeImagePipelines"] == 1 and counts["DescribeImageComponents"] == 1, counts
    objects = 1 + TEMPLATES + len(world.custom_images()) + sum(len(i.shared_with) for i in shared)
    assert sum(counts.values()) < objects / 2, (counts, objects)


def test_listings_find_the_same_drift(tmp_path: Path, emulator: Emulator) -> None:
    site = budget_site(tmp_path, emulator)
    site.converge("-parallelism=20")
    world = emulator.world
    copies = sorted((i for i in world.custom_images() if i.copy_source), key=lambda i: (i.region, i.name))
    deleted, unshared, untagged = copies[0], copies[1], copies[2]
    del world.images[(deleted.region, deleted.id)]
    account = sorted(unshared.shared_with)[0]
    del unshared.shared_with[account]
    untagged.tags.clear()  # invisible to a listing by imgb's tag, and still there
    template = sorted(world.pipelines)[0]
    del world.pipelines[template]

    emulator.reset_log()
    r = site.run("plan", "-detailed-exitcode")
    assert r.returncode == 2, r.stdout[-3000:]
    assert f"({deleted.id}) was deleted outside imgb" in r.stdout, r.stdout[-3000:]
    assert f"({unshared.id}/{account}) was unshared outside imgb" in r.stdout
    assert f"({template}) was deleted outside imgb" in r.stdout
    assert untagged.id not in r.stdout, "an object missing from a listing is read by its id before it counts as gone"
    drift = {line for line in r.stdout.splitlines() if "outside imgb" in line and line.lstrip().startswith("- drift")}
    expected = (deleted.id, f"{unshared.id}/{account}", template)  # the deleted copy's shares went with it
    assert drift and all(any(x in line for x in expected) for line in drift), sorted(drift)
