"""An apply run in its own process, for the kill tests: python -m tests.apply.kill_target DIR VARIANT."""

from __future__ import annotations

import sys
from pathlib import Path

from imgb.reconciler.apply import Engine, RetryPolicy, adopt_operations
from imgb.reconciler.planner import PlanOptions, make_plan
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from tests.fakes import FakeProvider
from tests.planner.scenarios import component, config, template

VARIANTS = {
    "a": config(component("nginx"), component("agent"), template(regions=("r2", "r3")), template(name="api", comps=("agent",))),
    "b": config(
        component("nginx", "RUN echo v2"),
        component("agent"),
        template(regions=("r2", "r4"), accounts=("100000000001", "100000000002")),
    ),
}


def main(directory: str, variant: str) -> int:
    d = Path(directory)
    cfg = VARIANTS[variant]
    fp = FakeProvider("local-1", path=d / "cloud.json", latency={"image": 0.25, "copy": 0.08, "share": 0.03, "component": 0.03, "template": 0.03})
    manager = StateManager(LocalBackend(d / "imgb.state.json"))
    with manager.session("apply") as session:
        adopt_operations(session, {"local": fp})
        plan, diags = make_plan(cfg, session.state, {"local": fp}, PlanOptions(), state_existed=manager.exists())
        assert plan is not None, [x.summary for x in diags]
        result = Engine(plan, session, {"local": fp}, retry=RetryPolicy(sleep=lambda s: None)).run()
        session.checkpoint()
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
