"""Configuration directories for the whole-system crash and fault suites.

A ``Site`` is one of the two examples (``quickstart``: local provider, real sandboxed builds;
``alicloud``: the real SDK against the API emulator) on one state backend (local file or
PostgreSQL). Its configuration is varied between trials so that a crash can land in a build, a
copy, a share or a delete. ``check_true_to_cloud`` is the invariant every suite ends on: state and
cloud hold the same objects, and nothing was ever created twice.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgb.state.model import State

ROOT = Path(__file__).resolve().parents[2]
ALINUX = "aliyun_3_x64_20G_alibase_20240528.vhd"
TRACEBACK = "Traceback (most recent call last)"


def trials(default: int) -> int:
    """How many trials a suite runs: ``IMGB_RELIABILITY_TRIALS`` (the full run uses 100)."""
    return int(os.environ.get("IMGB_RELIABILITY_TRIALS", str(default)))


def report(record: dict[str, Any]) -> None:
    """Append one result line to ``IMGB_RELIABILITY_REPORT`` (JSON lines) when it is set."""
    path = os.environ.get("IMGB_RELIABILITY_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    writes: int
    """Durable state writes the process made (journal appends and snapshot writes)."""

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL

    def text(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out[-4000:]}\n--- stderr\n{self.err[-4000:]}"


@dataclass
class Knobs:
    version: int = 0
    wide: bool = False
    """quickstart: a second copy region."""
    extra_account: bool = False
    hardening: int = 0
    """quickstart: revision of the hardening component's content."""


@dataclass
class Site:
    directory: Path
    example: str
    backend: str
    pg_dsn: str | None = None
    pg_schema: str | None = None
    emulator: Any = None
    state_path: Path | None = None
    """local backend: where the state file lives (default: imgb.state.json beside the configuration)."""
    knobs: Knobs = field(default_factory=Knobs)
    template_configs: set[tuple[int, int]] = field(default_factory=set)
    """Every (version, hardening) applied: each needs exactly one template per template block."""
    most_writes: int = 0
    slowest: float = 0.0
    main_text: str = field(default="", repr=False)
    """The example's main.imgb.hcl as shipped: each configuration is written from it."""
    hardening_text: str = field(default="", repr=False)

    # -- setup ---------------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: Path, example: str, backend: str, **kw: Any) -> Site:
        shutil.copytree(ROOT / "examples" / example, directory,
                        ignore=shutil.ignore_patterns(".imgb", "imgb.state.json*", "imgb-debug.log"))
        site = cls(directory, example, backend, **kw)
        site.main_text = (directory / "main.imgb.hcl").read_text()
        site.hardening_text = (directory / "components" / "hardening.dockerfile").read_text()
        site.write_config()
        return site

    def write_config(self) -> None:
        k = self.knobs
        text = self.main_text
        if self.backend == "pg":
            local_block = '  backend "local" {\n    path = "imgb.state.json"\n  }\n'
            assert local_block in text
            text = text.replace(local_block, f'  backend "pg" {{\n    schema_name = "{self.pg_schema}"\n  }}\n')
        elif self.state_path is not None:
            text = _sub(text, r'path = "imgb\.state\.json"', f'path = "{self.state_path}"')
        if self.example == "quickstart":
            text = _sub(text, r'default     = "1\.0\.0"', f'default     = "1.0.{k.version}"')
            regions = '["local-2", "local-3"]' if k.wide else '["local-2"]'
            text = _sub(text, r'regions  = \["local-2"\]', f"regions  = {regions}")
            accounts = '["100000000001", "100000000002"]' if k.extra_account else '["100000000001"]'
            text = _sub(text, r'accounts = \["100000000001"\]', f"accounts = {accounts}")
            hardening = self.hardening_text + (f'ENV HARDENING_REV="{k.hardening}"\n' if k.hardening else "")
            (self.directory / "components" / "hardening.dockerfile").write_text(hardening)
        else:
            assert self.emulator is not None
            text = _sub(text, r'  region = "cn-hangzhou"\n',
                        f'  region   = "cn-hangzhou"\n  endpoint = "http://{self.emulator.endpoint}"\n')
            text = _sub(text, r'default     = "1\.4\.2"', f'default     = "1.4.{k.version}"')
            prod = '"1234567890123456", "2234567890123456"' + (', "3234567890123456"' if k.extra_account else "")
            text = _sub(text, r'default = \["1234567890123456", "2234567890123456"\]', f"default = [{prod}]")
        (self.directory / "main.imgb.hcl").write_text(text)
        self.template_configs.add((k.version, k.hardening))

    def mutate(self, rng: random.Random) -> str:
        """Change the configuration so the next apply builds, copies, shares or deletes."""
        k = self.knobs
        if self.example == "quickstart":
            what = rng.choice(["version", "version", "version", "regions", "accounts", "component"])
        else:
            what = rng.choice(["version", "version", "accounts"])
        if what == "version":
            k.version += 1  # a new image: template replaced, build, copies, shares; old ones past retain deleted
        elif what == "regions":
            k.wide = not k.wide  # copies made or deleted, no build
        elif what == "accounts":
            k.extra_account = not k.extra_account  # shares or unshares
        else:
            k.hardening += 1  # a component replaced, and everything downstream
        self.write_config()
        return what

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["IMGB_DEBUG_LOG"] = str(self.directory / "imgb-debug.log")
        for name in ("IMGB_CRASH_AT", "IMGB_CRASH_ON", "IMGB_CRASH_WHEN", "IMGB_ENOSPC_AT"):
            env.pop(name, None)
        if self.pg_dsn is not None:
            env["IMGB_PG_CONN_STR"] = self.pg_dsn
        if self.state_path is not None:  # a state outside the configuration directory: the operator allows it
            env["IMGB_ALLOW_PATHS"] = str(self.state_path.parent)
        if self.example == "alicloud":
            from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET

            env.update(ALIBABA_CLOUD_ACCESS_KEY_ID=TEST_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET=TEST_ACCESS_KEY_SECRET,
                       IMGB_ALICLOUD_POLL_SECONDS="0.05")
        return env

    # -- running the CLI -------------------------------------------------------------------------
    def cli(self, *args: str, env: dict[str, str] | None = None, kill_after: float | None = None,
            during: Callable[[], object] | None = None, timeout: float = 600) -> Run:
        """``imgb -C DIR ARGS`` in its own process; SIGKILLed after ``kill_after`` seconds if given;
        ``during`` runs once the process has started."""
        count_file = self.directory / ".writes"
        count_file.unlink(missing_ok=True)
        full_env = {**self.env(), **(env or {}), "IMGB_CRASH_COUNT_FILE": str(count_file)}
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_runner", "-C", str(self.directory), *args],
                                cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            if during is not None:
                during()
            if kill_after is None:
                out, err = proc.communicate(timeout=timeout)
            else:
                try:
                    out, err = proc.communicate(timeout=kill_after)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    out, err = proc.communicate(timeout=60)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        writes = int(count_file.read_text() or 0) if count_file.exists() else 0
        return Run(proc.returncode, out, err, time.monotonic() - t0, writes)

    def apply(self, **kw: Any) -> Run:
        r = self.cli("apply", "--auto-approve", **kw)
        if not r.killed and r.code == 0:
            self.most_writes = max(self.most_writes, r.writes)
            self.slowest = max(self.slowest, r.seconds)
        return r

    def converge(self) -> Run:
        """apply, then a plan that must show no changes; returns the apply."""
        r = self.apply()
        assert r.code == 0, r.text()
        p = self.cli("plan", "--detailed-exitcode")
        assert p.code == 0, p.text()
        return r

    # -- state -------------------------------------------------------------------------------------
    def backend_object(self) -> Any:
        if self.backend == "pg":
            from imgb.state.postgres import PostgresBackend

            return PostgresBackend(self.pg_dsn, self.pg_schema or "imgb")
        from imgb.state.local import LocalBackend

        return LocalBackend(self.state_file)

    @property
    def state_file(self) -> Path:
        return self.state_path or self.directory / "imgb.state.json"

    def state(self) -> State:
        from imgb.state.manager import StateManager

        backend = self.backend_object()
        try:
            return StateManager(backend).load()
        finally:
            backend.close()

    # -- the invariant -----------------------------------------------------------------------------
    def check_true_to_cloud(self) -> None:
        """After a converged apply: state holds exactly what the cloud holds (no orphans, nothing
        missing), no operation is left in flight, nothing is deposed, and nothing was ever created
        twice."""
        state = self.state()
        assert not state.operations, state.operations
        assert not [r for r in state.resources if r.status == "deposed"]
        mine, cloud = _objects(state), self.cloud_objects()
        for kind, ids in mine.items():
            assert ids == cloud[kind], (
                f"{kind}: only in the cloud {sorted(cloud[kind] - ids)}, only in state {sorted(ids - cloud[kind])}"
            )
        self.check_created_once()

    def check_nothing_untracked(self) -> None:
        """After an apply that stopped early: whatever the cloud holds is in state, or behind an
        operation state still records as in flight (the next apply adopts it by its token)."""
        state = self.state()
        mine, cloud = _objects(state), self.cloud_objects()
        in_flight = Counter("image" if o.kind in ("image", "copy") else str(o.kind) for o in state.operations)
        for kind, ids in mine.items():
            untracked = cloud[kind] - ids
            assert len(untracked) <= in_flight[kind], f"{kind}: in the cloud, not in state: {sorted(untracked)}"

    def cloud_objects(self) -> dict[str, set[Any]]:
        """Components, templates, images (region, id; builds and copies) and shares the cloud holds."""
        if self.example == "quickstart":
            from imgb.providers.local import list_images
            from imgb.providers.local.store import Store

            root = self.directory / ".imgb" / "cloud"
            store = Store(root)
            images = [row for row in list_images(root) if row.get("content_hash")]  # base images are not ours
            return {
                "component": {r["id"] for r in store.records("local-1", "components")},
                "template": {r["id"] for r in store.records("local-1", "templates")},
                "image": {(row["region"], row["id"]) for row in images},
                "share": {f"{row['id']}/{acct}" for row in images for acct in row["shared_with"]},
            }
        world = self.emulator.world
        custom = [img for img in world.images.values() if img.owner_alias == "self"]
        return {
            "component": set(world.components),
            "template": set(world.pipelines),
            "image": {(img.region, img.id) for img in custom},
            "share": {f"{img.id}/{acct}" for img in custom for acct in img.shared_with},
        }

    def check_created_once(self) -> None:
        """One build per image content, one template per configuration, one copy per image and region."""
        if self.example == "quickstart":
            root = self.directory / ".imgb" / "cloud"
            ops = [json.loads(p.read_text()) for p in sorted((root / "ops").glob("*.json"))]
            done = [op for op in ops if op.get("state") == "done"]
            builds = Counter(op.get("desired", {}).get("content_hash") for op in done if op["kind"] == "image")
            assert all(n == 1 for n in builds.values()), f"an image was built twice: {builds}"
            templates = sum(op["kind"] == "template" for op in done)
            assert templates == len(self.template_configs), (
                f"{templates} templates made for {len(self.template_configs)} configurations"
            )
            components = sum(op["kind"] == "component" for op in done)
            assert components == 1 + len({h for _, h in self.template_configs}), f"{components} components made"
            return
        world = self.emulator.world
        created = Counter(kind for kind, _, _ in world.created)
        assert created["component"] == 3, created
        assert created["template"] == 2 * len(self.template_configs), (created, self.template_configs)
        builds = Counter(world.origins[eid] for kind, eid, _ in world.created if kind == "execution")
        pipelines = {pid for kind, pid, _ in world.created if kind == "template"}
        assert set(builds) == pipelines and all(n == 1 for n in builds.values()), f"builds per template: {builds}"
        copies = Counter((world.origins[cid], region) for kind, cid, region in world.created if kind == "copy")
        assert all(n == 1 for n in copies.values()), f"copies per source and region: {copies}"


def _objects(state: State) -> dict[str, set[Any]]:
    """What state says exists, grouped like ``Site.cloud_objects``."""
    out: dict[str, set[Any]] = {k: set() for k in ("component", "template", "image", "share")}
    for r in state.resources:
        if r.kind in ("image", "copy"):
            out["image"].add((str(r.attributes.get("region")), r.id))
        else:
            out[str(r.kind)].add(r.id)
    return out


def _sub(text: str, pattern: str, replacement: str) -> str:
    new, n = re.subn(pattern, lambda _: replacement, text, count=1)
    assert n == 1, f"{pattern!r} not found in the example"
    return new


def start_emulator(seed: int, phase_seconds: float, copy_seconds: float) -> Any:
    """The API emulator with the example's base images in every region it uses."""
    from tests.alicloud.emulator import Emulator

    em = Emulator(seed=seed, phase_seconds=phase_seconds, copy_seconds=copy_seconds).start()
    for region in ("cn-hangzhou", "cn-shanghai", "ap-southeast-1"):
        em.world.add_image(region, ALINUX, name=ALINUX, family="acs:aliyun_3_x64", owner_alias="system",
                           created=1716800000.0)
    return em
