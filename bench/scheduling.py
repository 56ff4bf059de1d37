"""Scheduling benchmark: wall time of an apply against the critical path of its DAG.

Each action sleeps a known time (bench.sleep_provider), so the best any scheduler can do at
unlimited parallelism is the critical path; at parallelism 10, "ideal" is the engine's own policy
simulated with no overhead. Run: python -m bench.scheduling [--quick] [--fresh-state]
"""

from __future__ import annotations

import argparse
import heapq
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx

from bench.sleep_provider import SleepProvider
from imgb import unknown
from imgb.diagnostics import SourcePos
from imgb.reconciler.apply import Engine, build_steps
from imgb.reconciler.config.model import Component, Config, DistributionRef, ProviderConfig, Template
from imgb.reconciler.planner import PlanOptions, make_plan
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager

P = SourcePos("bench.imgb.hcl", 1)


def _config(components: list[Component], templates: list[Template]) -> Config:
    return Config(
        directory="/nonexistent",
        providers={"local": ProviderConfig(type="local", region="r1")},
        components={c.address: c for c in components},
        templates={t.address: t for t in templates},
    )


def chain(n: int) -> Config:
    comps = [
        Component(name=f"c{i}", provider="local", content=f"RUN echo {i}", pos=P, depends_on=(f"component.c{i-1}",) if i else ())
        for i in range(n)
    ]
    return _config(comps, [])


def fanin(n: int) -> Config:
    comps = [Component(name=f"c{i}", provider="local", content=f"RUN echo {i}", pos=P) for i in range(n - 2)]
    build = "".join(f"COMPONENT {unknown.marker(f'component.c{i}.id')}\n" for i in range(n - 2))
    return _config(comps, [Template(name="t", provider="local", base_image="b", build=build, pos=P)])


def image_builder(templates: int, regions: int, accounts: int, components: int) -> Config:
    comps = [Component(name=f"c{i}", provider="local", content=f"RUN echo {i}", pos=P) for i in range(components)]
    tmpls = []
    for t in range(templates):
        refs = {t % components, (t * 7 + 3) % components}
        build = "".join(f"COMPONENT {unknown.marker(f'component.c{i}.id')}\n" for i in sorted(refs))
        dist = DistributionRef(
            address="distribution.d",
            regions=tuple(f"r{2 + r}" for r in range(regions)),
            accounts=tuple(f"{10**11 + a}" for a in range(accounts)),
        )
        tmpls.append(Template(name=f"t{t}", provider="local", base_image="b", build=build, pos=P, distribute=(dist,)))
    return _config(comps, tmpls)


def measure(
    cfg: Config, latency: float, parallelism: int | None, seed: int = 1, fresh_state: bool = False
) -> tuple[int, float, float, float]:
    """(actions, wall s, critical path s, ideal s): ideal is the same schedule with no overhead at
    that parallelism. The state exists beforehand (as after any earlier apply) unless
    ``fresh_state``: creating it costs a snapshot and a journal (~20 ms, once)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as d:
        manager = StateManager(LocalBackend(Path(d) / "s.json"))
        if not fresh_state:
            with manager.session("init") as s:
                s.set_outputs({})
        probe = SleepProvider("r1", 0.0)
        with manager.session("apply") as session:
            existed = manager.exists()
            plan, diags = make_plan(cfg, session.state, {"local": probe}, PlanOptions(refresh=False), state_existed=existed)
            assert plan is not None, [x.summary for x in diags]
            # Shares carry no address the provider could key a delay on; they take no time here.
            delays = {
                c.address: 0.0 if c.kind == "share" else rng.uniform(latency * 0.5, latency * 1.5) for c in plan.changes
            }
            provider = SleepProvider("r1", delays)
            g = build_steps(plan).to_networkx()
            weights = {n: delays[n.change.address] for n in g.nodes}
            critical = max(
                (sum(weights[n] for n in path) for path in [nx.dag_longest_path(_weighted(g, weights))]), default=0.0
            )
            ideal = _list_schedule(g, weights, parallelism or len(g))
            t0 = time.monotonic()
            result = Engine(plan, session, {"local": provider}, parallelism=parallelism or len(g)).run()
            wall = time.monotonic() - t0
            assert result.ok
    return len(g), wall, critical, ideal


def _list_schedule(g: nx.DiGraph, w: dict[Any, float], slots: int) -> float:
    """Makespan of the engine's policy with zero overhead: a node starts when its dependencies are
    done and a slot is free; among ready nodes, the engine's order (by address)."""
    order = {n: (n.change.addr.sort_key(), n.id) for n in g.nodes}
    waiting = {n: g.in_degree(n) for n in g.nodes}
    ready = [(order[n], i, n) for i, n in enumerate(g.nodes) if not waiting[n]]
    heapq.heapify(ready)
    running: list[tuple[float, int, Any]] = []
    now, seq = 0.0, len(ready)
    while ready or running:
        while ready and len(running) < slots:
            _, _, n = heapq.heappop(ready)
            heapq.heappush(running, (now + w[n], id(n), n))
        now, _, done = heapq.heappop(running)
        for m in g.successors(done):
            waiting[m] -= 1
            if not waiting[m]:
                seq += 1
                heapq.heappush(ready, (order[m], seq, m))
    return now


def _weighted(g: nx.DiGraph, w: dict[object, float]) -> nx.DiGraph:
    h = nx.DiGraph()
    src = object()
    h.add_node(src)
    for n in g.nodes:
        h.add_edge(src, n, weight=w[n])
    for u, v in g.edges:
        h.add_edge(u, v, weight=w[v])
    path = nx.dag_longest_path(h, weight="weight")
    out = nx.DiGraph()
    nx.add_path(out, [n for n in path if n is not src])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller latencies for a fast run")
    ap.add_argument("--fresh-state", action="store_true", help="start each apply without a state (as a first apply)")
    args = ap.parse_args()
    lat = 0.05 if args.quick else 0.2
    shapes = {
        "fan-in (100)": fanin(100),
        "chain (200)": chain(200),
        "image builder (197)": image_builder(templates=11, regions=3, accounts=4, components=10),
    }
    print("| shape | actions | parallelism | critical path s | ideal s | wall s | wall / critical | wall / ideal |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, cfg in shapes.items():
        for par in (None, 10):
            n, wall, crit, ideal = measure(cfg, lat, par, fresh_state=args.fresh_state)
            label = "unlimited" if par is None else str(par)
            print(f"| {name} | {n} | {label} | {crit:.2f} | {ideal:.2f} | {wall:.2f} | {wall / crit:.3f} | {wall / ideal:.3f} |")


if __name__ == "__main__":
    main()
