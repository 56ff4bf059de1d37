"""Generations of examples/alicloud end to end through the CLI, the SDK and the strict emulator:
builds with changed content, copies and shares made again for each, retained generations, rollback
without a build, retain pruning that deletes images with their snapshots, unsharing from every
generation, and destroy, ten times with faults injected. After every step: no name used twice in a
region, nothing in the account that state does not track (images, snapshots, shares), nothing made
twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alicloud.emulator import Emulator, Faults
from tests.alicloud.site import ROOT, Site, add_example_images

FAULTS = Faults(seed=22, throttle_rate=0.12, retry_after=None, server_error_rate=0.05, drop_rate=0.02,
                conflict_rate=0.1)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    # image_seconds: a build's image is still Creating for a moment after its execution ends, as the
    # API allows; copying it then would be refused.
    with Emulator(seed=22, phase_seconds=0.02, copy_seconds=0.03, image_seconds=0.15) as em:
        add_example_images(em)
        yield em


def version(n: int) -> str:
    return f"app_version=1.0.{n}"


@pytest.mark.slow
def test_ten_generations_with_faults_converge(tmp_path: Path, emulator: Emulator) -> None:
    site = Site.create(tmp_path, emulator)
    world = emulator.world
    emulator.set_faults(FAULTS)
    for n in range(1, 11):
        site.converge("-var", version(n))
        site.check_all()
        if n == 5:
            _kill_an_apply_while_building(site, n + 1)
    faulted = [e for e in emulator.log if e.fault]
    assert {e.fault for e in faulted} >= {"throttle", "conflict"}, "the faults did not happen"
    assert any(e.code == "OperationDenied.ImageCopyConflict" or e.code == "OperationDenied.ImageCopying"
               for e in faulted)
    emulator.set_faults(Faults())

    # Ten generations of two templates: ten builds each, retain = 3 kept, the rest pruned with their
    # copies, shares and snapshots.
    builds = [c for c in world.created if c[0] == "execution"]
    assert len(builds) == 20
    homes = [i for i in world.custom_images() if i.copy_source is None]
    assert len(homes) == 2 * 3
    r = site.run("plan", "-detailed-exitcode", "-var", version(10))
    assert r.returncode == 0, r.stdout[-3000:]

    # Every retained generation keeps its copies and shares; removing an account unshares all of them.
    shared = [i for i in world.custom_images() if "6543210987654321" in i.shared_with]
    assert len(shared) == 2 * 3  # the partners' copy in cn-shanghai, one per retained generation
    site.edit('accounts = ["6543210987654321"]', "accounts = []")
    r = site.converge("-var", version(10))
    assert "unshares: 6" in r.stdout, r.stdout[-2000:]
    assert not [i for i in world.custom_images() if "6543210987654321" in i.shared_with]
    site.check_all()

    # Rollback to a retained generation: no build, the old images current again.
    before = len([c for c in world.created if c[0] == "execution"])
    r = site.run("plan", "-var", version(8))
    assert r.returncode == 0 and "Builds: 0" in r.stdout, r.stdout[-3000:]
    site.converge("-var", version(8))
    assert len([c for c in world.created if c[0] == "execution"]) == before
    site.check_all()
    assert site.run("plan", "-detailed-exitcode", "-var", version(8)).returncode == 0

    r = site.run("destroy", "-auto-approve", "-var", version(8))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert not world.custom_images() and not world.components and not world.pipelines
    assert not world.snapshots, "snapshots outlived their images"


def _kill_an_apply_while_building(site: Site, n: int) -> None:
    """kill -9 an apply once it has started building generation ``n``; the next apply adopts the
    running build. The apply also deletes pruned generations meanwhile: killed between an image's
    DeleteImage and DeleteSnapshot, the next apply finds it gone and releases its snapshots."""
    world = site.emulator.world
    builds_before = sum(1 for c in world.created if c[0] == "execution")
    proc = subprocess.Popen([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(site.directory), "apply",
                             "-auto-approve", "-var", version(n)], cwd=ROOT, env=site.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while sum(1 for c in world.created if c[0] == "execution") == builds_before and proc.poll() is None:
        assert time.monotonic() < deadline, "the apply never started building"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
