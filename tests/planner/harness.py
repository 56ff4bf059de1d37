"""Run a scenario: apply its history with the fake provider, then plan its final configuration."""

from __future__ import annotations

from typing import Any

import pytest

from imgb.reconciler import apply as apply_mod
from imgb.reconciler.apply import ApplyResult, Engine, RetryPolicy
from imgb.reconciler.config.model import Config
from imgb.reconciler.masking import make_masker
from imgb.reconciler.operations.saved import secrets
from imgb.reconciler.plan import Plan
from imgb.reconciler.planner import PlanOptions, make_plan
from imgb.state.model import State
from tests.fakes import FakeProvider, MemorySession
from tests.planner.scenarios import Scenario, fixed_clock


def plan_for(config: Config, session: MemorySession, fp: FakeProvider, options: PlanOptions | None = None) -> Plan:
    plan, diags = make_plan(config, session.state, {"local": fp}, options or PlanOptions(), state_existed=bool(session.state.resources))
    assert plan is not None, [d.summary for d in diags]
    return plan


def apply_config(config: Config, session: MemorySession, fp: FakeProvider, options: PlanOptions | None = None) -> ApplyResult:
    """Plan, then carry out the plan's recorded values (the sensitive ones filled in), as imgb apply does."""
    plan = plan_for(config, session, fp, options)
    engine = Engine(
        plan, session, {"local": fp}, secrets=secrets(plan, config), sensitive_values=config.sensitive_values,
        retry=RetryPolicy(sleep=lambda s: None), mask=make_masker(config.sensitive_values),
    )
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
