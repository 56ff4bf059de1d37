"""The apply engine with the fake provider: convergence, ordering, failures, limits, speed."""

from __future__ import annotations

import threading
import time

import pytest

from imgb.reconciler.apply import Engine, Hooks, Node, build_steps
from imgb.reconciler.plan import Action
from tests.fakes import FakeProvider, MemorySession
from tests.planner.harness import apply_config, plan_for, run_scenario
from tests.planner.scenarios import SCENARIOS, base, component, config, template


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS], ids=lambda s: s.name)
def test_apply_then_plan_has_no_changes(scenario, monkeypatch):  # type: ignore[no-untyped-def]
    _, fp, session = run_scenario(scenario, monkeypatch)
    result = apply_config(scenario.final, session, fp, scenario.options)
    assert result.ok, result.failed
    if scenario.options.targets:
        # a targeted apply converges for its targets; the rest is planned next time
        again = plan_for(scenario.final, session, fp)
        assert all(not c.address.endswith(".api") or c.action is Action.NOOP for c in again.changes)
        return
    final = scenario.final if not scenario.options.destroy else config()
    again = plan_for(final, session, fp, scenario.options if scenario.options.refresh_only else None)
    assert not again.drift
    assert not again.actionable(), [(c.address, c.action) for c in again.actionable()]
    # the provider holds exactly what state says
    assert {r.id for r in session.state.resources} == set(fp.objects())


def test_nothing_created_twice_and_everything_tracked(monkeypatch):  # type: ignore[no-untyped-def]
    for scenario in SCENARIOS:
        _, fp, session = run_scenario(scenario, monkeypatch)
        tokens = [c["token"] for c in fp.created()]
        assert len(tokens) == len(set(tokens)), scenario.name


def test_failing_build_does_not_stop_other_templates():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1", fail={"image.web": "BuildFailed"})
    session = MemorySession()
    cfg = config(component("nginx"), template(), template(name="api"))
    result = apply_config(cfg, session, fp)
    assert not result.ok
    assert [f.address for f in result.failed] == ["image.web"]
    assert result.failed[0].code == "BuildFailed" and result.failed[0].request_id == "req-fail"
    assert sorted(result.skipped) == ['copy.web["local-2"]', 'share.web["local-2/100000000001"]']
    assert session.state.get("image.api", session.state.current["template.api"]) is not None
    assert 'copy.api["local-2"]' in result.done
    # the next run only retries what failed
    fp.fail.clear()
    again = plan_for(cfg, session, fp)
    assert sorted(c.address for c in again.actionable()) == ['copy.web["local-2"]', "image.web", 'share.web["local-2/100000000001"]']


def test_test_failure_keeps_image_out_of_distribution():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1", test_fail={"image.web"})
    session = MemorySession()
    result = apply_config(base(), session, fp)
    assert [f.code for f in result.failed] == ["TEST_FAILED"]
    assert "template.web" not in session.state.current  # never made current (docs/lifecycle.md, I4)
    [img] = [r for r in session.state.resources if r.kind == "image"]
    assert img.status == "test_failed"
    assert not [r for r in session.state.resources if r.kind in ("copy", "share")]
    again = plan_for(base(), session, fp)
    assert not again.actionable()  # neither built again nor copied: the plan says what to do
    [warning] = again.warnings
    assert warning["summary"] == "Image failed its tests" and "--replace image.web" in warning["detail"]


def test_retryable_errors_are_retried_without_duplicates():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1", flaky=0.4, seed=7)
    session = MemorySession()
    result = apply_config(base(), session, fp)
    assert result.ok, result.failed
    tokens = [c["token"] for c in fp.created()]
    assert len(tokens) == len(set(tokens)) == 5


def test_deletes_run_in_reverse_dependency_order():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1")
    session = MemorySession()
    assert apply_config(base(), session, fp).ok
    plan = plan_for(config(), session, fp)
    g = build_steps(plan)
    order = {n.change.address: i for i, n in enumerate(__import__("networkx").topological_sort(g.to_networkx()))}
    assert order['share.web["local-2/100000000001"]'] < order['copy.web["local-2"]'] < order["image.web"]
    assert order["template.web"] < order["component.nginx"]


def test_replacement_creates_before_deleting():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1")
    session = MemorySession()
    assert apply_config(base(), session, fp).ok
    plan = plan_for(config(component("nginx", "RUN echo v2"), template()), session, fp)
    g = build_steps(plan).to_networkx()
    nodes = {(str(n.step), n.change.address): n for n in g.nodes}
    import networkx as nx

    assert nx.has_path(g, nodes[("create", "component.nginx")], nodes[("delete", "component.nginx")])
    assert nx.has_path(g, nodes[("create", "template.web")], nodes[("delete", "component.nginx")])
    assert nx.has_path(g, nodes[("delete", "template.web")], nodes[("delete", "component.nginx")])


class _Recorder(Hooks):
    def __init__(self) -> None:
        self.running = 0
        self.peak_builds: dict[str, int] = {}
        self.active: dict[str, int] = {}
        self.lock = threading.Lock()

    def started(self, node: Node) -> None:
        if node.change.kind == "image" and str(node.step) == "create":
            with self.lock:
                t = node.change.template or ""
                self.active[t] = self.active.get(t, 0) + 1
                self.peak_builds[t] = max(self.peak_builds.get(t, 0), self.active[t])

    def finished(self, node: Node, result, seconds):  # type: ignore[no-untyped-def]
        if node.change.kind == "image" and str(node.step) == "create":
            with self.lock:
                self.active[node.change.template or ""] -= 1


def test_copies_start_as_soon_as_their_image_exists():  # type: ignore[no-untyped-def]
    """Not in waves: template b's slow build does not hold back template a's copies."""
    fp = FakeProvider("local-1", latency={"image.b": 0.5, "image": 0.0, "copy": 0.01})
    session = MemorySession()
    cfg = config(component("nginx"), template(name="a", regions=("r2", "r3")), template(name="b", regions=("r2",)))
    plan = plan_for(cfg, session, fp)
    times: dict[str, float] = {}

    class Times(Hooks):
        def started(self, node: Node) -> None:
            times.setdefault("start " + node.label, time.monotonic())

        def finished(self, node, result, seconds):  # type: ignore[no-untyped-def]
            times["end " + node.label] = time.monotonic()

    assert Engine(plan, session, {"local": fp}, hooks=Times()).run().ok
    assert times['end copy.a["r3"]'] < times["end image.b"]
    assert times['start copy.b["r2"]'] >= times["end image.b"]


def test_one_build_per_template_and_parallelism_bound():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1", latency={"image": 0.05})
    session = MemorySession()
    cfg = config(component("nginx"), *(template(name=f"t{i}") for i in range(6)))
    plan = plan_for(cfg, session, fp)
    rec = _Recorder()
    result = Engine(plan, session, {"local": fp}, parallelism=3, hooks=rec).run()
    assert result.ok
    assert max(rec.peak_builds.values()) == 1


def test_interrupt_starts_nothing_new_and_keeps_state_loadable():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1", latency={"image": 0.2})
    session = MemorySession()
    plan = plan_for(base(), session, fp)
    engine = Engine(plan, session, {"local": fp})
    timer = threading.Timer(0.05, engine.interrupt)
    timer.start()
    result = engine.run()
    assert result.interrupted
    assert session.state.get("image.web", plan.current_after["template.web"]) is not None  # in-flight build finished
    assert not [r for r in session.state.resources if r.kind == "copy"]
    assert apply_config(base(), session, fp).ok
    assert not plan_for(base(), session, fp).actionable()


def test_second_interrupt_cancels_running_builds():  # type: ignore[no-untyped-def]
    fp = FakeProvider("local-1", latency={"image": 0.3})
    session = MemorySession()
    plan = plan_for(base(), session, fp)
    engine = Engine(plan, session, {"local": fp})

    def twice() -> None:
        engine.interrupt()
        engine.interrupt()

    while True:  # wait until the build is in flight, then press Ctrl-C twice
        timer = threading.Timer(0.1, twice)
        timer.start()
        result = engine.run()
        break
    assert result.interrupted
    assert [f.code for f in result.failed] == ["Cancelled"]
    assert not [r for r in session.state.resources if r.kind == "image"]
    # the cancelled build is recorded as such; the next apply builds again and converges
    assert apply_config(base(), session, fp).ok
    assert not plan_for(base(), session, fp).actionable()


def test_provider_request_rate_is_kept():  # type: ignore[no-untyped-def]
    from imgb.providers.base import Limits, ProviderSchema

    class Paced(FakeProvider):
        def schema(self) -> ProviderSchema:
            return ProviderSchema(kinds=super().schema().kinds, limits=Limits(requests_per_second=20))

    fp = Paced("local-1")
    session = MemorySession()
    cfg = config(*(component(f"c{i}x") for i in range(10)))
    t0 = time.monotonic()
    assert apply_config(cfg, session, fp).ok
    assert time.monotonic() - t0 >= 9 / 20  # ten starts at 20 per second


def test_an_image_adoption_recorded_is_made_current_without_a_rollback_story():  # type: ignore[no-untyped-def]
    # Adoption (before planning) records a finished build without the plan's hash inputs and
    # without making it current; the next plan makes it current and says why.
    fp = FakeProvider("local-1")
    session = MemorySession()
    cfg = base()
    assert apply_config(cfg, session, fp).ok
    tmpl = "template.web"
    h = session.state.current[tmpl]
    image = session.get("image.web", h)
    inputs = image.attributes["hash_inputs"]
    session.put(image.model_copy(update={"attributes": {k: v for k, v in image.attributes.items() if k != "hash_inputs"}}))
    session.state.current.pop(tmpl)

    plan = plan_for(cfg, session, fp)
    reuse = [c for c in plan.changes if c.action is Action.REUSE]
    assert [c.address for c in reuse] == ["image.web"]
    assert "an interrupted apply finished building" in reuse[0].reasons[0] and "rollback" not in reuse[0].reasons[0]
    assert apply_config(cfg, session, fp).ok
    assert session.state.current[tmpl] == h
    assert session.get("image.web", h).attributes["hash_inputs"] == inputs
    assert all(c.action is Action.NOOP for c in plan_for(cfg, session, fp).changes)
