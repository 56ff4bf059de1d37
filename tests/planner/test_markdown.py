"""The pull-request comment and the drift report: sections, warnings, and the size limit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from imgb.providers.base import Quote
from imgb.reconciler.guardrails.cost import estimate
from imgb.reconciler.guardrails.prices import PriceBook
from imgb.reconciler.plan import Action
from imgb.reconciler.views.plan_markdown import DRIFT_MARKER, GRAPH_MAX_NODES, MARKER, render_markdown
from tests.fakes import FakeProvider, MemorySession
from tests.planner.harness import apply_config, plan_for, run_scenario
from tests.planner.scenarios import SCENARIOS, component, config, template

COMMENT_LIMIT = 65_536


def scenario(name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    plan, _, _ = run_scenario(next(s for s in SCENARIOS if s.name == name), monkeypatch)
    return render_markdown(plan)


def _balanced(md: str) -> None:
    """Every code fence is closed and every <details> too: a cut never leaves markup open."""
    fences = [ln for ln in md.splitlines() if ln.startswith("```")]
    assert len(fences) % 2 == 0, "unclosed code fence"
    assert md.count("<details>") == md.count("</details>")


def test_content_change_shows_a_unified_diff_of_the_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    md = scenario("component_content_change", monkeypatch)
    assert md.startswith(MARKER + "\n")
    diff = md.split("#### Commands changed (1)", 1)[1].split("</details>", 1)[0]
    assert "--- a/component.nginx content" in diff and "+++ b/component.nginx content" in diff
    assert "-RUN echo hardening\n+RUN echo hardened-more" in diff
    # The template changes only because the component's id will: no second, noisy diff.
    assert "template.web build_content</code>" not in md
    _balanced(md)


def test_graph_is_the_apply_order_with_replacements_as_two_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    md = scenario("component_content_change", monkeypatch)
    chart = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    labels = dict(re.findall(r'^\s+(n\d+)\["([^"]*)"\]$', chart, flags=re.M))
    by_label = {v: k for k, v in labels.items()}
    new, old = by_label["+ component.nginx"], by_label["- component.nginx (old ic-000001)"]
    tmpl, image = by_label["+ template.web"], by_label["+ image.web"]
    edges = set(re.findall(r"^\s+(n\d+) --> (n\d+)$", chart, flags=re.M))
    assert (new, tmpl) in edges and (tmpl, image) in edges
    assert (tmpl, old) in edges, "the old component goes only after the template moved to the new one"
    assert '#quot;local-2#quot;' in chart and '["+ copy.web[' in chart


def test_unshare_warning_names_the_account_but_not_for_pruned_retained_images(monkeypatch: pytest.MonkeyPatch) -> None:
    md = scenario("account_removed", monkeypatch)
    assert "Images stop being shared with these accounts:\n> - account 100000000002: `template.web` in local-2" in md
    pruned = scenario("prune_past_retain", monkeypatch)
    assert "stop being shared" not in pruned
    assert "share(s) of retained images end" in pruned and "the current images stay shared" in pruned
    assert "deletes or replaces 3 object(s)" in pruned and "`image.web (retained b454297c)` (m-000003)" in pruned


def test_drift_in_a_normal_plan_is_called_out(monkeypatch: pytest.MonkeyPatch) -> None:
    md = scenario("drift", monkeypatch)
    assert '> 1 object(s) changed outside imgb; this plan restores or forgets them:\n> - share.web["local-2/100000000001"]' in md


def test_refresh_only_plan_renders_a_drift_report(monkeypatch: pytest.MonkeyPatch) -> None:
    md = scenario("refresh_only_drift", monkeypatch)
    assert md.startswith(DRIFT_MARKER + "\n### imgb drift report")
    assert '| `share.web["local-2/100000000001"]` | `m-000004/100000000001` | was unshared outside imgb |' in md
    assert "imgb refresh" in md and "imgb apply" in md
    fp, session = FakeProvider("local-1"), MemorySession()
    base = config(component("nginx"), template())
    assert apply_config(base, session, fp).ok
    from imgb.reconciler.planner import PlanOptions

    clean = render_markdown(plan_for(base, session, fp, PlanOptions(refresh_only=True)))
    assert "**No drift.**" in clean and "|" not in clean


def test_destroy_is_labelled_and_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    md = scenario("destroy", monkeypatch)
    assert md.startswith(MARKER + "\n### imgb plan (destroy)")
    assert "deletes or replaces 4 object(s)" in md and "Images stop being shared" in md


class PricedFake(FakeProvider):
    """A provider with prices, so the largest plans carry the cost table too."""

    def build_price(self, instance_type: str | None, system_disk_size: int | None) -> Quote:
        return Quote(0.42, "CNY", "test prices")

    def storage_price(self, region: str) -> Quote:
        return Quote(0.12, "CNY", "test prices")

    def image_gib(self, attrs: Mapping[str, Any]) -> float | None:
        return 40.0


def _big_plan(templates: int, regions: int, accounts: int) -> tuple[str, int]:
    accts = tuple(f"1000000000{i:02d}" for i in range(accounts))
    regs = tuple(f"local-{i}" for i in range(2, 2 + regions))
    tmpls = [template(name=f"t{i:03d}", regions=regs, accounts=accts) for i in range(templates)]
    cfg, session, fp = config(component("nginx"), *tmpls), MemorySession(), PricedFake("local-1")
    plan = plan_for(cfg, session, fp)
    plan.cost = estimate(plan, session.state, cfg, PriceBook({c.provider: fp for c in plan.changes}, None))
    md = render_markdown(plan)
    assert "| cost | builds (one-off) |" in md and "**Storage run-rate" not in md and "> Storage run-rate:" in md
    return md, len(plan.actionable())


def test_500_changes_keep_summary_table_and_warnings_under_the_limit() -> None:
    md, n = _big_plan(templates=2, regions=12, accounts=20)
    assert n >= 500 and len(md) < COMMENT_LIMIT
    assert "Plan: " in md and "| `template.t000` |" in md and "| **total** |" in md
    assert f"more than {GRAPH_MAX_NODES} nodes" in md
    assert "Cut to fit the comment size limit" in md
    _balanced(md)


def test_many_templates_cap_the_table_and_keep_totals() -> None:
    md, n = _big_plan(templates=150, regions=1, accounts=1)
    assert len(md) < COMMENT_LIMIT and n > 600
    assert "| _51 more_ |" in md and "| **total** | **150** | **150** | **150** |" in md
    assert "| _130 more template(s)_ | | | |" in md and "| **total** (150 build(s)) | **31.50 CNY** |" in md
    _balanced(md)


def test_big_deletes_keep_the_warning_banners() -> None:
    accts = tuple(f"1000000000{i:02d}" for i in range(20))
    regs = tuple(f"local-{i}" for i in range(2, 14))
    before = config(component("nginx"), template(regions=regs, accounts=accts), template(name="api", regions=regs, accounts=accts))
    fp, session = FakeProvider("local-1"), MemorySession()
    assert apply_config(before, session, fp).ok
    plan = plan_for(config(component("nginx")), session, fp)
    assert sum(1 for c in plan.changes if c.action is Action.DELETE) >= 500
    md = render_markdown(plan)
    assert len(md) < COMMENT_LIMIT
    assert "> [!WARNING]\n> This plan deletes or replaces" in md
    assert "Images stop being shared with these accounts:" in md and "> - and 10 more account(s)" in md
    _balanced(md)


def test_a_huge_commands_diff_is_shortened_not_dropped_with_the_summary() -> None:
    fp, session = FakeProvider("local-1"), MemorySession()
    long_a = "".join(f"RUN echo step {i} version a\n" for i in range(120))
    long_b = "".join(f"RUN echo step {i} version b\n" for i in range(120))
    comps = [component(f"c{i:02d}", long_a) for i in range(30)]
    assert apply_config(config(*comps, template(comps=tuple(c.name for c in comps))), session, fp).ok
    new = [component(f"c{i:02d}", long_b) for i in range(30)]
    md = render_markdown(plan_for(config(*new, template(comps=tuple(c.name for c in new))), session, fp))
    assert len(md) < COMMENT_LIMIT
    assert md.index("Plan: ") < md.index("#### Commands changed (30)")
    assert "Diffs not shown for lack of space" in md or "diff(s) not shown for lack of space" in md
    _balanced(md)


def test_fences_inside_content_cannot_break_out_of_the_code_block() -> None:
    fp, session = FakeProvider("local-1"), MemorySession()
    assert apply_config(config(component("nginx", "RUN echo a"), template()), session, fp).ok
    md = render_markdown(plan_for(config(component("nginx", "RUN echo a\nRUN cat <<'X'\n```\nX"), template()), session, fp))
    _balanced(md)
