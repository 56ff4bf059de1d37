"""Properties of plans over random configurations and histories (hypothesis)."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.reconciler.apply import Step, build_steps
from imgb.reconciler.config.model import Config
from imgb.reconciler.plan import Action
from imgb.reconciler.views.plan_json import render_json
from tests.fakes import FakeProvider, MemorySession
from tests.planner.harness import apply_config, plan_for
from tests.planner.scenarios import component, config, template

COMPS = ["nginx", "agent", "hardening"]


@st.composite
def configs(draw: st.DrawFn) -> Config:
    comps = draw(st.lists(st.sampled_from(COMPS), unique=True, min_size=1))
    blocks: list = [component(c, draw(st.sampled_from(["RUN a", "RUN b"]))) for c in comps]
    for name in draw(st.lists(st.sampled_from(["web", "api"]), unique=True)):
        blocks.append(
            template(
                name=name,
                comps=tuple(draw(st.lists(st.sampled_from(comps), unique=True, min_size=1))),
                regions=tuple(draw(st.lists(st.sampled_from(["local-2", "local-3", "local-1"]), unique=True))),
                accounts=tuple(draw(st.lists(st.sampled_from(["100000000001", "100000000002"]), unique=True))),
                extra=draw(st.sampled_from(["RUN v1", "RUN v2", "RUN v3"])),
                retain=draw(st.integers(1, 3)),
            )
        )
    return config(*blocks)


def _history(cfgs: list[Config]) -> tuple[FakeProvider, MemorySession]:
    fp, session = FakeProvider("local-1"), MemorySession()
    for c in cfgs:
        assert apply_config(c, session, fp).ok
    return fp, session


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(configs(), max_size=2), configs())
def test_plans_are_deterministic(history: list[Config], final: Config) -> None:
    fp, session = _history(history)
    a = render_json(plan_for(final, session, fp))
    b = render_json(plan_for(final, session, fp))
    assert a == b


@SETTINGS
@given(st.lists(configs(), max_size=2), configs())
def test_every_address_appears_once(history: list[Config], final: Config) -> None:
    fp, session = _history(history)
    plan = plan_for(final, session, fp)
    keys = [(c.address, c.image_hash) for c in plan.changes]
    assert len(keys) == len(set(keys))
    current = [c for c in plan.changes if not c.retained]
    planned_addresses = [c.address for c in current if c.action is not Action.DELETE]
    assert len(planned_addresses) == len(set(planned_addresses))
    from imgb.reconciler.graph import build_graph

    graph, _ = build_graph(final, {p.template: p.image_id for p in plan.pinned_bases})
    assert set(graph.nodes) == set(planned_addresses)
    for r in session.state.resources:
        in_plan = (r.address, r.image_hash) in set(keys)
        kept_generation = r.image_hash is not None and r.address in graph.nodes
        assert in_plan or kept_generation, r.address


@SETTINGS
@given(st.lists(configs(), max_size=2), configs())
def test_creates_follow_and_deletes_precede_dependencies(history: list[Config], final: Config) -> None:
    fp, session = _history(history)
    plan = plan_for(final, session, fp)
    g = build_steps(plan).to_networkx()
    assert nx.is_directed_acyclic_graph(g)
    creates = {n.change.address: n for n in g.nodes if n.step is Step.CREATE}
    for n in creates.values():
        for dep in n.change.depends_on:
            if dep in creates:
                assert nx.has_path(g, creates[dep], n)
    deletes = [n for n in g.nodes if n.step is Step.DELETE]
    for n in deletes:
        if n.change.kind == "share":
            for m in deletes:
                if m.change.kind == "copy" and m.change.image_hash == n.change.image_hash and n.change.address.replace("share.", "").rsplit("/", 1)[0] + '"]' == m.change.address.replace("copy.", ""):
                    assert nx.has_path(g, n, m)


@SETTINGS
@given(st.lists(configs(), max_size=2), configs())
def test_apply_converges(history: list[Config], final: Config) -> None:
    fp, session = _history(history)
    assert apply_config(final, session, fp).ok
    assert not plan_for(final, session, fp).actionable()
    assert {r.id for r in session.state.resources} == set(fp.objects())


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
