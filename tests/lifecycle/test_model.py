"""The image lifecycle, model-based (docs/lifecycle.md): hypothesis drives what users and the world
do, and after every step I1 to I5 are checked against the real local store or the Alibaba API
emulator's world.

Rules: edit a template's content; a content whose build fails, or whose tests fail; roll back to
any earlier configuration; add or remove regions and accounts; change ``retain``; a copy or a share
that fails (emulator faults, or the local provider's copy and share made to fail); ``kill -9`` of
``imgb apply`` at a durable state write; Ctrl-C during an apply; an image deleted or unshared
behind imgb's back; ``--replace``; applying again. The model keeps its own record of what went
into service (``History``): what ``retain`` must keep is computed from it, not from state.

Size: ``IMGB_LIFECYCLE_EXAMPLES`` runs of ``IMGB_LIFECYCLE_STEPS`` steps per provider (CI: 6 of 30);
``IMGB_LIFECYCLE_SHRINK=1`` shrinks a failure to its shortest form (slow with real builds);
``IMGB_LIFECYCLE_RANDOM=1`` draws new cases (CI runs the same ones every time);
``IMGB_LIFECYCLE_REPORT=FILE`` appends one JSON line of counts per run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, FlakyStrategyDefinition
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

import imgb.reconciler.apply as apply_mod
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator
from tests.lifecycle.clouds import Cloud, EmulatedCloud, LocalCloud
from tests.lifecycle.invariants import History, Observation, check_converged, check_step
from tests.lifecycle.site import Ran, Site, Spec, TemplateSpec, alicloud_flavor, local_flavor

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("IMGB_LIFECYCLE_EXAMPLES", "6"))
STEPS = int(os.environ.get("IMGB_LIFECYCLE_STEPS", "30"))
SHRINK = os.environ.get("IMGB_LIFECYCLE_SHRINK") == "1"
RANDOM = os.environ.get("IMGB_LIFECYCLE_RANDOM") == "1"
REPORT = os.environ.get("IMGB_LIFECYCLE_REPORT")
TEMPLATES = ("api", "web")
TOTALS: Counter[str] = Counter()
FAILURES: list[str] = []
"""Every failure seen, in order: timing (kill points, Ctrl-C) makes some of them flaky, and
hypothesis then reports only that it could not replay them."""


class LifecycleMachine(RuleBasedStateMachine):
    provider: ClassVar[str] = "local"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="imgb-lifecycle-"))
        self.emulator: Emulator | None = None
        self.cloud: Cloud
        if self.provider == "alicloud":
            self.emulator = Emulator(seed=len(str(self.tmp)), phase_seconds=0.01, copy_seconds=0.01).start()
            self.cloud = EmulatedCloud(self.emulator)
            flavor = alicloud_flavor(self.emulator.endpoint)
            env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_ACCESS_KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_ACCESS_KEY_SECRET,
                   "IMGB_ALICLOUD_POLL_SECONDS": "0.01"}
        else:
            flavor = local_flavor()
            env = {}
            self.cloud = LocalCloud(self.tmp / "site" / ".imgb" / "cloud")
        self.site = Site(self.tmp / "site", flavor, env)
        self.flavor = flavor
        self.spec = Spec({
            "web": TemplateSpec(regions=(flavor.regions[0],), accounts=(flavor.accounts[0],)),
            "api": TemplateSpec(accounts=(flavor.accounts[1],)),
        })
        self.configs: list[Spec] = []
        self.history = History()
        self.owners: dict[str, str] = {}
        """Content hash -> template address, of every content a plan asked for."""
        self.counter = 0
        self.steps: list[str] = []
        self.oob_unseen = False
        """The world changed behind imgb's back and no apply has refreshed since."""
        self.lost: set[str] = set()
        """Content hashes whose home image was deleted behind imgb's back (and not built again)."""
        self.stats: Counter[str] = Counter()

    def teardown(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        TOTALS.update(self.stats)
        TOTALS["runs"] += 1

    # -- the rules -------------------------------------------------------------------------------
    @initialize()
    def first_apply(self) -> None:
        self._apply("first apply")

    @rule(t=st.sampled_from(TEMPLATES), how=st.sampled_from(["content", "content", "build", "test"]))
    def edit(self, t: str, how: str) -> None:
        self.counter += 1
        self.spec = self.spec.with_template(t, self.spec.templates[t].edit(content=self.counter, fails="" if how == "content" else how))
        self.stats[f"rule: edit ({how})"] += 1
        self._apply(f"edit {t}: " + {"content": "new content", "build": "a content whose build fails",
                                     "test": "a content whose tests fail"}[how])

    @precondition(lambda self: len(self.configs) > 1)
    @rule(back=st.integers(min_value=1, max_value=50))
    def rollback(self, back: int) -> None:
        i = max(0, len(self.configs) - 1 - back % len(self.configs))
        self.spec = self.configs[i]
        self.stats["rule: rollback"] += 1
        self._apply(f"roll back to configuration {i}")

    @rule(t=st.sampled_from(TEMPLATES), which=st.integers(0, 1), add=st.booleans())
    def region(self, t: str, which: int, add: bool) -> None:
        r = self.flavor.regions[which]
        regions = set(self.spec.templates[t].regions)
        regions = regions | {r} if add else regions - {r}
        self.spec = self.spec.with_template(t, self.spec.templates[t].edit(regions=tuple(sorted(regions))))
        self.stats[f"rule: {'add' if add else 'remove'} region"] += 1
        self._apply(f"{'add' if add else 'remove'} region {r} of {t}")

    @rule(t=st.sampled_from(TEMPLATES), which=st.integers(0, 1), add=st.booleans())
    def account(self, t: str, which: int, add: bool) -> None:
        a = self.flavor.accounts[which]
        accounts = set(self.spec.templates[t].accounts)
        accounts = accounts | {a} if add else accounts - {a}
        self.spec = self.spec.with_template(t, self.spec.templates[t].edit(accounts=tuple(sorted(accounts))))
        self.stats[f"rule: {'add' if add else 'remove'} account"] += 1
        self._apply(f"{'add' if add else 'remove'} account {a} of {t}")

    @rule(t=st.sampled_from(TEMPLATES), n=st.integers(1, 3))
    def retain(self, t: str, n: int) -> None:
        self.spec = self.spec.with_template(t, self.spec.templates[t].edit(retain=n))
        self.stats["rule: retain"] += 1
        self._apply(f"retain = {n} for {t}")

    @rule(t=st.sampled_from(TEMPLATES), kind=st.sampled_from(["copy", "share"]))
    def distribution_fails(self, t: str, kind: str) -> None:
        self.counter += 1
        spec = self.spec.templates[t]
        if kind == "copy" and not spec.regions:
            spec = spec.edit(regions=(self.flavor.regions[1],))
        if kind == "share" and not spec.accounts:
            spec = spec.edit(accounts=(self.flavor.accounts[0],))
        self.spec = self.spec.with_template(t, spec.edit(content=self.counter, fails=""))
        self.stats[f"rule: {kind} fails"] += 1
        with self.cloud.fault(kind):
            self._apply(f"edit {t} while every {kind} fails")

    @rule(t=st.sampled_from(TEMPLATES), at=st.integers(1, 14))
    def kill(self, t: str, at: int) -> None:
        self.counter += 1
        self.spec = self.spec.with_template(t, self.spec.templates[t].edit(content=self.counter, fails=""))
        self.stats["rule: kill -9"] += 1
        self._apply(f"edit {t}, kill -9 of the apply at its state write {at}", crash_at=at)

    @rule(t=st.sampled_from(TEMPLATES), after=st.sampled_from([0.2, 0.5, 1.0, 1.5]))
    def interrupt(self, t: str, after: float) -> None:
        self.counter += 1
        self.spec = self.spec.with_template(t, self.spec.templates[t].edit(content=self.counter, fails=""))
        self.stats["rule: Ctrl-C"] += 1
        self._apply(f"edit {t}, Ctrl-C {after}s into the apply", interrupt_after=after)

    @rule(pick=st.integers(0, 1000), how=st.sampled_from(["delete", "unshare"]))
    def out_of_band(self, pick: int, how: str) -> None:
        self.stats["steps"] += 1
        images = [i for i in self.cloud.images() if i.usable]
        if how == "unshare":
            pairs = sorted((i.region, i.id, a) for i in images for a in i.shared)
            if not pairs:
                return
            region, iid, account = pairs[pick % len(pairs)]
            self.cloud.unshare(region, iid, account)
            what = f"unshare {iid} from {account} in {region} behind imgb's back"
        else:
            if not images:
                return
            img = sorted(images, key=lambda i: (i.region, i.id))[pick % len(images)]
            self.cloud.delete_image(img.region, img.id)
            if img.region == self.flavor.home:
                self.lost.add(img.hash)
            what = f"delete {img.id} ({img.hash[:8]}) in {img.region} behind imgb's back"
        self.oob_unseen = True
        self.steps.append(what)
        self.stats[f"rule: out-of-band {how}"] += 1

    @rule()
    def apply_again(self) -> None:
        self.stats["rule: apply again"] += 1
        self._apply("apply again, nothing changed")

    @rule(t=st.sampled_from(TEMPLATES))
    def replace(self, t: str) -> None:
        self.stats["rule: --replace"] += 1
        self._apply(f"apply --replace image.{t}", extra=("--replace", f"image.{t}"))

    # -- one apply and the checks after it -------------------------------------------------------
    def _observe(self) -> Observation:
        return Observation(self.site.state(), self.cloud.images())

    def _apply(self, what: str, *, extra: tuple[str, ...] = (), crash_at: int = 0, interrupt_after: float | None = None) -> None:
        self.steps.append(what)
        self.stats["steps"] += 1
        self.stats["applies"] += 1
        self.site.write(self.spec)
        before = self._observe()
        desired = self._plan(before, extra)
        builds = self.cloud.builds()
        t0 = time.monotonic()
        if crash_at or interrupt_after is not None:
            ran = self.site.child("apply", "--auto-approve", *extra, crash_at=crash_at, interrupt_after=interrupt_after)
            killed = ran.code < 0
            self.stats["killed" if killed else "interrupted" if interrupt_after is not None else "kill-point-not-reached"] += 1
        else:
            ran = self.site.imgb("apply", "--auto-approve", *extra)
            killed = False
        self.stats["apply-seconds"] += round(time.monotonic() - t0)
        interrupted = interrupt_after is not None and ran.code == 130  # Ctrl-C before or after the engine ran
        self._expect(ran.code in (0, 1) or killed or interrupted, f"apply exited {ran.code}", ran)
        self._expect("Traceback" not in ran.text and "internal error" not in ran.text.lower(), "a traceback", ran)
        self.stats["applies-ok" if ran.code == 0 else "applies-stopped"] += 1
        self.stats["builds"] += self.cloud.builds() - builds
        after = self._observe()
        problems = check_step(before, after, self.spec, self.flavor, world_changed=self.oob_unseen and (killed or ran.code != 0))
        for t_addr, h in sorted(after.state.current.items()):
            if before.state.current.get(t_addr) != h:
                self.history.note(t_addr, h)
                self.stats["promotions"] += 1
        if not killed:
            self.oob_unseen = False
        in_world = {i.hash for i in after.images}
        self.lost -= {i.hash for i in after.images if i.region == self.flavor.home}
        for t_addr, seq in list(self.history.promoted.items()):
            for h in set(seq) - in_world - {after.state.current.get(t_addr)}:
                self.history.drop(t_addr, h)
        if ran.code == 0:
            failed = {t: h for t, h in desired.items() if any(
                r.template == t and r.image_hash == h and r.status == "test_failed" for r in after.state.resources)}
            problems += check_converged(after, self.cloud.inventory(), self.spec, self.flavor, self.history, desired,
                                        failed, self.owners, self.lost)
            again = self.site.imgb("plan", "--detailed-exitcode")
            if again.code != 0:
                problems.append(f"I5: the plan after a successful apply is not empty (exit {again.code}):\n{again.text[-3000:]}")
            self.stats["test-failed-kept"] += bool(failed)
        self.configs.append(self.spec)
        self._expect(not problems, "\n".join(problems), ran)

    def _plan(self, before: Observation, extra: tuple[str, ...]) -> dict[str, str]:
        """The template -> content hash this configuration asks for; checks that a plan neither
        builds an image the cloud still has, nor retries one that failed its tests (I3, I4)."""
        ran = self.site.imgb("plan", "--format", "json", *extra)
        self._expect(ran.code == 0, "plan failed", ran)
        plan = json.loads(ran.out)
        desired: dict[str, str] = {}
        for c in plan["resource_changes"]:
            # Not a deletion (retain = 1 deletes the image in service once its successor is in service),
            # nor a forget (the image in service found gone leaves state while its content is built again).
            if c["kind"] == "image" and "(" not in c["address"] and c.get("image_hash") and c["action"] not in ("delete", "forget"):
                desired[c["template"]] = c["image_hash"]
                self.owners[c["image_hash"]] = c["template"]
        have = {(i.hash, i.test_failed) for i in before.images if i.region == self.flavor.home and i.usable}
        for c in plan["resource_changes"]:
            h = c.get("image_hash")
            if c["kind"] == "image" and c["action"] in ("create", "replace") and "--replace" not in extra:
                self._expect((h, False) not in have, f"the plan builds {c['address']} ({h[:8]}) again, which the cloud has", ran)
                self._expect((h, True) not in have, f"the plan retries {c['address']} ({h[:8]}), which failed its tests", ran)
            rebuilt = f"image.{(c.get('template') or '').partition('.')[2]}" in extra  # --replace: its tests run again
            if c["kind"] in ("copy", "share") and c["action"] in ("create", "replace") and not rebuilt:
                self._expect((h, True) not in have, f"the plan distributes {c['address']} of an image that failed its tests", ran)
            if c["action"] == "reuse":
                self.stats["rollbacks-without-build"] += 1
        for w in plan.get("warnings", []):
            if w.get("summary") == "Image failed its tests":
                self.stats["told-test-failed"] += 1
        return desired

    def _expect(self, ok: bool, problem: str, ran: Ran) -> None:
        if ok:
            return
        steps = "\n".join(f"  {i}. {s}" for i, s in enumerate(self.steps))
        message = (
            f"{self.provider}: {problem}\nsteps:\n{steps}\nconfiguration:\n{self.flavor.render(self.spec)}\n"
            f"last command output:\n{ran.text[-4000:]}"
        )
        FAILURES.append(message)
        raise AssertionError(message)


class LocalLifecycle(LifecycleMachine):
    provider = "local"


class AlicloudLifecycle(LifecycleMachine):
    provider = "alicloud"


def _settings() -> settings:
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if SHRINK else [])
    return settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, phases=phases, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True, derandomize=not RANDOM)


def _run(machine: type[LifecycleMachine], monkeypatch: pytest.MonkeyPatch) -> None:
    # Injected faults fail for good: retrying them with real backoff would only take time.
    fast = apply_mod.RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr(apply_mod, "RetryPolicy", lambda *a, **k: fast)
    TOTALS.clear()
    FAILURES.clear()
    started = time.monotonic()
    try:
        run_state_machine_as_test(machine, settings=_settings())
    except (Flaky, FlakyStrategyDefinition) as e:
        raise AssertionError("a failure hypothesis could not replay (timing):\n" + "\n\n".join(FAILURES[:3])) from e
    finally:
        # Reported whatever the outcome: a long run adds up many of these (failures included).
        counts: dict[str, Any] = dict(sorted(TOTALS.items()))
        counts["seconds"] = round(time.monotonic() - started)
        counts["failures"] = len(FAILURES)
        print(f"\nlifecycle model, {machine.provider}: {counts}")
        if REPORT:
            with open(REPORT, "a") as f:
                f.write(json.dumps({"provider": machine.provider, **counts}) + "\n")
    assert TOTALS["steps"] >= EXAMPLES  # every run applied at least once


def test_lifecycle_model_local(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.local.conftest import SANDBOX_REASON

    if SANDBOX_REASON:
        pytest.skip(f"no build sandbox here: {SANDBOX_REASON}")
    _run(LocalLifecycle, monkeypatch)


def test_lifecycle_model_alicloud(monkeypatch: pytest.MonkeyPatch) -> None:
    _run(AlicloudLifecycle, monkeypatch)
