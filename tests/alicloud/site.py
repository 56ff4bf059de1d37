"""examples/alicloud in a directory of its own, run through the CLI against the emulator, and the
invariants that must hold between the emulated account and imgb's state."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from imgb.state.model import State
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator

ROOT = Path(__file__).resolve().parents[2]
ALINUX = "aliyun_3_x64_20G_alibase_20240528.vhd"
REGIONS = ("cn-hangzhou", "cn-shanghai", "ap-southeast-1")


def add_example_images(em: Emulator) -> None:
    """The example's second base image, in every region it uses."""
    for region in REGIONS:
        em.world.add_image(region, ALINUX, name=ALINUX, family="acs:aliyun_3_x64", owner_alias="system",
                           created=1716800000.0)


def cli_env() -> dict[str, str]:
    """The environment the CLI runs in: the emulator's test credentials, fast polling."""
    return {
        **os.environ,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET,
        "IMGB_ALICLOUD_POLL_SECONDS": "0.02",
    }


@dataclass
class Site:
    directory: Path
    emulator: Emulator
    env: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def create(tmp: Path, emulator: Emulator, provider_extra: str = "", endpoint: str | None = None) -> Site:
        d = tmp / "ali"
        shutil.copytree(ROOT / "examples" / "alicloud", d)
        main = d / "main.imgb.hcl"
        ep = endpoint or f"http://{emulator.endpoint}"
        text = main.read_text().replace('  region = "cn-hangzhou"\n',
                                        f'  region   = "cn-hangzhou"\n  endpoint = "{ep}"\n{provider_extra}', 1)
        main.write_text(text)
        return Site(d, emulator, cli_env())

    @property
    def main(self) -> Path:
        return self.directory / "main.imgb.hcl"

    def edit(self, old: str, new: str) -> None:
        text = self.main.read_text()
        assert old in text, f"{old!r} is not in the configuration"
        self.main.write_text(text.replace(old, new, 1))

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "imgb.reconciler.cli", "-C", str(self.directory), *args],
                              cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)

    def converge(self, *args: str, attempts: int = 6) -> subprocess.CompletedProcess[str]:
        """``apply`` until it succeeds: under injected faults a call can exhaust its retries, and the
        next apply picks up from state (adopting what is in flight)."""
        r = self.run("apply", "-auto-approve", *args)
        for _ in range(attempts - 1):
            if r.returncode == 0:
                break
            r = self.run("apply", "-auto-approve", *args)
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
        return r

    def state(self) -> State:
        backend = LocalBackend(self.directory / "imgb.state.json")
        try:
            return StateManager(backend).load()
        finally:
            backend.close()

    # -- invariants ----------------------------------------------------------------------------

    def check_names_unique(self) -> None:
        """CopyImage refuses a name in use, so two of the account's images never share a name in a region."""
        names = Counter((i.region, i.name) for i in self.emulator.world.custom_images())
        assert all(n == 1 for n in names.values()), [k for k, n in names.items() if n > 1]

    def check_nothing_orphaned(self) -> None:
        """Every image and snapshot in the account is one imgb tracks; every object state names exists."""
        world = self.emulator.world
        state = self.state()
        assert not state.operations, f"operations left in flight: {state.operations}"
        tracked = {(str(r.attributes.get("region")), r.id) for r in state.resources if r.kind in ("image", "copy")}
        in_cloud = {(i.region, i.id) for i in world.custom_images()}
        assert in_cloud == tracked, f"untracked: {sorted(in_cloud - tracked)}; gone: {sorted(tracked - in_cloud)}"
        assert not world.orphan_snapshots(), f"snapshots of deleted images: {world.orphan_snapshots()}"
        shares = {r.id for r in state.resources if r.kind == "share"}
        shared = {f"{i.id}/{a}" for i in world.custom_images() for a in i.shared_with}
        assert shared == shares, f"untracked shares: {sorted(shared - shares)}; gone: {sorted(shares - shared)}"
        assert set(world.pipelines) == {r.id for r in state.resources if r.kind == "template"}
        assert set(world.components) == {r.id for r in state.resources if r.kind == "component"}

    def check_nothing_duplicated(self) -> None:
        """One build per template (each generation is a template of its own), one live copy per
        image and region."""
        world = self.emulator.world
        builds = Counter(world.origins[eid] for kind, eid, _ in world.created if kind == "execution")
        assert all(n == 1 for n in builds.values()), f"builds per template: {builds}"
        copies = Counter((i.copy_source, i.region) for i in world.custom_images() if i.copy_source)
        assert all(n == 1 for n in copies.values()), f"copies per source and region: {copies}"

    def check_all(self) -> None:
        self.check_names_unique()
        self.check_nothing_orphaned()
        self.check_nothing_duplicated()
