"""kill -9 an apply at random moments: state stays loadable, the next apply converges, nothing is
created twice and nothing the provider holds is missing from state."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from imgb.reconciler.planner import PlanOptions, make_plan
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from tests.apply.kill_target import VARIANTS
from tests.fakes import FakeProvider

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("IMGB_KILL_RUNS", "50"))


def _run(d: Path, variant: str, kill_after: float | None) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.apply.kill_target", str(d), variant],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if kill_after is None:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        return
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _check(d: Path, variant: str) -> None:
    manager = StateManager(LocalBackend(d / "imgb.state.json"))
    state = manager.load()
    fp = FakeProvider("local-1", path=d / "cloud.json")
    ids = {r.id for r in state.resources}
    assert set(fp.objects()) == ids, "the provider holds objects state does not know, or the reverse"
    plan, _ = make_plan(VARIANTS[variant], state, {"local": fp}, PlanOptions(), state_existed=True)
    assert plan is not None and not plan.actionable(), [(c.address, str(c.action)) for c in plan.actionable()]


def _unfinished(d: Path, variant: str) -> bool:
    state = StateManager(LocalBackend(d / "imgb.state.json")).load()  # always loadable
    fp = FakeProvider("local-1", path=d / "cloud.json")
    plan, _ = make_plan(VARIANTS[variant], state, {"local": fp}, PlanOptions(refresh=False), state_existed=True)
    return plan is None or bool(plan.actionable())


def test_kill_during_apply(tmp_path: Path) -> None:
    rng = random.Random(1234)
    interrupted = 0
    # Phase 1: a fresh start killed at a random moment, then finished: every object exactly once.
    for i in range(RUNS // 2):
        once = tmp_path / f"once{i}"
        once.mkdir()
        _run(once, "a", rng.uniform(0.3, 1.0))
        interrupted += _unfinished(once, "a")
        _run(once, "a", None)
        _check(once, "a")
        labels = Counter(c["label"] for c in FakeProvider("local-1", path=once / "cloud.json").created())
        assert max(labels.values()) == 1, [k for k, v in labels.items() if v > 1]

    # Phase 2: alternating configurations (replacements, deletes, new regions), killed at random.
    alt = tmp_path / "alt"
    alt.mkdir()
    for i in range(RUNS - RUNS // 2):
        _run(alt, "ab"[i % 2], rng.uniform(0.3, 1.0))
        interrupted += _unfinished(alt, "ab"[i % 2])
    for variant in "ab":
        _run(alt, variant, None)
        _check(alt, variant)
    print(f"{interrupted} of {RUNS} kills landed mid-apply")
    assert interrupted >= RUNS // 5, f"only {interrupted} of {RUNS} kills landed mid-apply; the test is not testing"
