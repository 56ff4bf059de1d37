"""Core planning at scale: apply N resources with a zero-latency provider, then time a no-change
plan with refresh off (graph + diff, no HCL parsing). Run: python -m bench.plan_scale 10000"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.scheduling import image_builder
from bench.sleep_provider import SleepProvider
from imgb.reconciler.apply import Engine
from imgb.reconciler.planner import PlanOptions, make_plan
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager


def main(n: int) -> None:
    per_template = 2 + 20 + 20 * 20
    cfg = image_builder(templates=max(1, n // per_template), regions=20, accounts=20, components=10)
    p = SleepProvider()
    with tempfile.TemporaryDirectory() as d:
        m = StateManager(LocalBackend(Path(d) / "s.json"))
        with m.session("apply") as s:
            t0 = time.monotonic()
            plan, _ = make_plan(cfg, s.state, {"local": p}, PlanOptions(refresh=False), state_existed=False)
            assert plan is not None
            t1 = time.monotonic()
            result = Engine(plan, s, {"local": p}).run()
            s.checkpoint()
            t2 = time.monotonic()
            assert result.ok
        count = len(plan.changes)
        t3 = time.monotonic()
        state = m.load()
        t4 = time.monotonic()
        plan2, _ = make_plan(cfg, state, {"local": p}, PlanOptions(refresh=False), state_existed=True)
        t5 = time.monotonic()
        assert plan2 is not None and not plan2.actionable()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"resources {count}: first plan {t1 - t0:.2f}s, first apply {t2 - t1:.2f}s, "
          f"state load {t4 - t3:.2f}s, no-change plan {t5 - t4:.2f}s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
