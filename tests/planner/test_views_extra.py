"""Plan views beyond the scenarios: cycles as diagnostics, and markdown for very large plans."""

from __future__ import annotations

from pathlib import Path

from imgb.reconciler.planner import PlanOptions, make_plan
from imgb.reconciler.views.diagnostics import render_human
from imgb.reconciler.views.plan_markdown import render_markdown
from tests.fakes import FakeProvider, MemorySession
from tests.planner.harness import plan_for
from tests.planner.scenarios import component, config, template

GOLDEN = Path(__file__).parent / "golden"


def test_cycle_is_a_diagnostic_in_stable_order(update_golden: bool) -> None:
    cfg = config(
        component("zeta", depends_on=("component.alpha",)),
        component("alpha", depends_on=("component.mid",)),
        component("mid", depends_on=("component.zeta",)),
    )
    plan, diags = make_plan(cfg, MemorySession().state, {"local": FakeProvider("local-1")}, PlanOptions(), state_existed=False)
    assert plan is None
    got = render_human(diags, "/nonexistent-imgb-test")
    path = GOLDEN / "cycle.txt"
    if update_golden:
        path.write_text(got)
    assert got == path.read_text()
    assert "component.alpha → component.mid → component.zeta → component.alpha" in got


def test_markdown_of_500_changes_fits_a_comment_and_keeps_summary_and_warnings() -> None:
    accounts = tuple(f"1000000000{i:02d}" for i in range(20))
    regions = tuple(f"local-{i}" for i in range(2, 14))
    cfg = config(component("nginx"), template(regions=regions, accounts=accounts), template(name="api", regions=regions, accounts=accounts))
    fp, session = FakeProvider("local-1"), MemorySession()
    plan = plan_for(cfg, session, fp)
    assert len(plan.actionable()) >= 500
    md = render_markdown(plan)
    assert len(md) < 65_536
    assert "Plan: " in md and "| `template.web` |" in md
    assert "Cut to fit the comment size limit" in md
