"""Golden plan output for every scenario, in the three views. Regenerate with --update-golden."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgb.reconciler.views.plan_json import render_json
from imgb.reconciler.views.plan_markdown import render_markdown
from imgb.reconciler.views.plan_text import render_plan
from tests.planner.harness import run_scenario
from tests.planner.scenarios import SCENARIOS

GOLDEN = Path(__file__).parent / "golden"
VIEWS = {"txt": render_plan, "json": render_json, "md": render_markdown}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_golden(scenario, monkeypatch, update_golden):  # type: ignore[no-untyped-def]
    plan, _, _ = run_scenario(scenario, monkeypatch)
    for ext, view in VIEWS.items():
        got = view(plan)
        path = GOLDEN / f"{scenario.name}.{ext}"
        if update_golden:
            path.write_text(got)
            continue
        assert path.exists(), f"{path.name} is missing; run pytest --update-golden and review it"
        assert got == path.read_text(), f"{path.name} differs; run pytest --update-golden and review the diff"


def test_sensitive_value_never_rendered(monkeypatch):  # type: ignore[no-untyped-def]
    scenario = next(s for s in SCENARIOS if s.name == "sensitive_variable")
    plan, _, _ = run_scenario(scenario, monkeypatch)
    for view in VIEWS.values():
        assert "s3cr3t-value" not in view(plan)
    assert "s3cr3t-value" not in plan.to_file_bytes().decode()


def test_sensitive_value_converges(monkeypatch):  # type: ignore[no-untyped-def]
    """State holds the secret masked; the next plan must still see no changes."""
    from tests.planner.harness import apply_config, plan_for

    scenario = next(s for s in SCENARIOS if s.name == "sensitive_variable")
    _, fp, session = run_scenario(scenario, monkeypatch)
    assert apply_config(scenario.final, session, fp).ok
    assert "s3cr3t-value" not in session.state.model_dump_json()
    assert not plan_for(scenario.final, session, fp).actionable()
