"""Run a scenario: apply its history with the fake provider, then plan its final configuration."""

from __future__ import annotations

from typing import Any

import pytest

from imgb.reconciler import apply as apply_mod
from imgb.reconciler.apply import ApplyResult, Engine, RetryPolicy
from imgb.reconciler.config.model import Config
from imgb.reconciler.masking import make_masker
from imgb.reconciler.plan import Plan
from imgb.reconciler.planner import PlanOptions, make_plan
from imgb.state.model import State
from tests.fakes import FakeProvider, MemorySession
from tests.planner.scenarios import Scenario, fixed_clock


def plan_for(config: Config, session: MemorySession, fp: FakeProvider, options: PlanOptions | None = None) -> Plan:
    plan, diags = make_plan(config, session.state, {"local": fp}, options or PlanOptions(), state_existed=bool(session.state.resources))
    assert plan is not None, [d.summary for d in diags]
    mask = make_masker(config.sensitive_values)
    for c in plan.changes:
        c.before, c.after = mask(c.before), mask(c.after)
    return plan


def apply_config(config: Config, session: MemorySession, fp: FakeProvider, options: PlanOptions | None = None) -> ApplyResult:
    plan = plan_for(config, session, fp, options)
    desired = {}
    if plan.mode == "normal":
        from imgb.reconciler.graph import build_graph

        graph, _ = build_graph(config, {p.template: p.image_id for p in plan.pinned_bases})
        desired = {(a, n.image_hash): dict(n.attrs) for a, n in graph.nodes.items()}
    engine = Engine(plan, session, {"local": fp}, desired=desired, retry=RetryPolicy(sleep=lambda s: None), mask=make_masker(config.sensitive_values))
    return engine.run()


def run_scenario(s: Scenario, monkeypatch: pytest.MonkeyPatch) -> tuple[Plan, FakeProvider, MemorySession]:
    monkeypatch.setattr(apply_mod, "_now", fixed_clock())
    fp = FakeProvider("local-1")
    session = MemorySession(State(lineage="00000000-0000-4000-8000-000000000000"))
    for cfg in s.history:
        result = apply_config(cfg, session, fp)
        assert result.ok, result.failed
    if s.prepare:
        s.prepare(fp, session)
    return plan_for(s.final, session, fp, s.options), fp, session


def anyplan(p: Any) -> Plan:
    return p  # type: ignore[no-any-return]
