"""Data-driven differ cases: prior configurations applied, a new configuration, expected changes.

Each case lists every address whose action is not no-op, as ``action address``. pyinfra's
pattern: current state + desired state -> expected actions, as data.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from imgb.reconciler.planner import PlanOptions
from tests.planner.harness import run_scenario
from tests.planner.scenarios import Scenario, component, config, template

C, T = component, template
NG = ("nginx",)
CASES: list[tuple[str, list, object, list[str], PlanOptions]] = [
    ("empty to empty", [], config(), [], PlanOptions()),
    ("one component only", [], config(C("nginx")), ["create component.nginx"], PlanOptions()),
    ("component unchanged", [config(C("nginx"))], config(C("nginx")), [], PlanOptions()),
    ("component description changes", [config(C("nginx"))], config(C("nginx", description="new")), ["replace component.nginx"], PlanOptions()),
    ("component removed", [config(C("nginx"))], config(), ["delete component.nginx"], PlanOptions()),
    ("component pinned version bump", [config(C("nginx", version="1.0.0"))], config(C("nginx", "RUN x", version="1.1.0")), ["replace component.nginx"], PlanOptions()),
    ("unused component change does not touch template", [config(C("nginx"), C("other"), T())], config(C("nginx"), C("other", "RUN y"), T()), ["replace component.other"], PlanOptions()),
    ("template settings change: replace, no build", [config(C("nginx"), T())], config(C("nginx"), replace(T(), description="x")), ["replace template.web"], PlanOptions()),
    ("disk size change rebuilds", [config(C("nginx"), T())], config(C("nginx"), replace(T(), system_disk_size=60)), ["replace template.web", "create image.web", 'create copy.web["local-2"]', 'create share.web["local-2/100000000001"]'], PlanOptions()),
    ("base image change rebuilds", [config(C("nginx"), T())], config(C("nginx"), T(base="alpine")), ["replace template.web", "create image.web", 'create copy.web["local-2"]', 'create share.web["local-2/100000000001"]'], PlanOptions()),
    ("region removed", [config(C("nginx"), T(regions=("local-2", "local-3")))], config(C("nginx"), T()), ['delete copy.web["local-3"]', 'delete share.web["local-3/100000000001"]'], PlanOptions()),
    ("home region only", [], config(C("nginx"), T(regions=())), ["create component.nginx", "create template.web", "create image.web", 'create share.web["local-1/100000000001"]'], PlanOptions()),
    ("home region listed explicitly needs no copy", [], config(C("nginx"), T(regions=("local-1",))), ["create component.nginx", "create template.web", "create image.web", 'create share.web["local-1/100000000001"]'], PlanOptions()),
    ("account added", [config(C("nginx"), T())], config(C("nginx"), T(accounts=("100000000001", "100000000002"))), ['create share.web["local-2/100000000002"]'], PlanOptions()),
    ("no accounts: copies only", [], config(C("nginx"), T(accounts=())), ["create component.nginx", "create template.web", "create image.web", 'create copy.web["local-2"]'], PlanOptions()),
    ("template renamed", [config(C("nginx"), T())], config(C("nginx"), T(name="site")), ["create template.site", "create image.site", 'create copy.site["local-2"]', 'create share.site["local-2/100000000001"]', "delete template.web", "delete image.web", 'delete copy.web["local-2"]', 'delete share.web["local-2/100000000001"]'], PlanOptions()),
    ("second template shares component", [config(C("nginx"), T())], config(C("nginx"), T(), T(name="api")), ["create template.api", "create image.api", 'create copy.api["local-2"]', 'create share.api["local-2/100000000001"]'], PlanOptions()),
    ("component added to build", [config(C("nginx"), C("agent"), T())], config(C("nginx"), C("agent"), T(comps=("nginx", "agent"))), ["replace template.web", "create image.web", 'create copy.web["local-2"]', 'create share.web["local-2/100000000001"]'], PlanOptions()),
    ("rollback reuses", [config(C("nginx"), T()), config(C("nginx"), T(extra="RUN v2"))], config(C("nginx"), T()), ["replace template.web", "reuse image.web"], PlanOptions()),
    ("rollback after region change copies", [config(C("nginx"), T()), config(C("nginx"), T(extra="RUN v2", regions=("local-3",)))], config(C("nginx"), T(regions=("local-3",))), ["replace template.web", "reuse image.web", 'create copy.web["local-3"]', 'create share.web["local-3/100000000001"]'], PlanOptions()),
    ("retain 1 deletes the old image at once", [config(C("nginx"), T(retain=1))], config(C("nginx"), T(extra="RUN v2", retain=1)), ["replace template.web", "create image.web", 'create copy.web["local-2"]', 'create share.web["local-2/100000000001"]', "delete image.web", 'delete copy.web["local-2"]', 'delete share.web["local-2/100000000001"]'], PlanOptions()),
    ("retain 3 keeps both", [config(C("nginx"), T())], config(C("nginx"), T(extra="RUN v2")), ["replace template.web", "create image.web", 'create copy.web["local-2"]', 'create share.web["local-2/100000000001"]'], PlanOptions()),
    ("region removed from retained images too", [config(C("nginx"), T(regions=("local-2", "local-3"))), config(C("nginx"), T(extra="RUN v2", regions=("local-2", "local-3")))], config(C("nginx"), T(extra="RUN v2")), ['delete copy.web["local-3"]', 'delete copy.web["local-3"] (retained *)', 'delete share.web["local-3/100000000001"]', 'delete share.web["local-3/100000000001"] (retained *)'], PlanOptions()),
    ("destroy everything", [config(C("nginx"), T())], config(C("nginx"), T()), ["delete component.nginx", "delete template.web", "delete image.web", 'delete copy.web["local-2"]', 'delete share.web["local-2/100000000001"]'], PlanOptions(destroy=True)),
    ("destroy empty", [], config(C("nginx")), [], PlanOptions(destroy=True)),
    ("replace component forces template", [config(C("nginx"), T())], config(C("nginx"), T()), ["replace component.nginx", "replace template.web"], PlanOptions(replace=["component.nginx"])),
    ("replace image rebuilds same hash and distributes again", [config(C("nginx"), T())], config(C("nginx"), T()), ["replace image.web", 'replace copy.web["local-2"]', 'replace share.web["local-2/100000000001"]'], PlanOptions(replace=["image.web"])),
    ("replace a copy shares it again", [config(C("nginx"), T())], config(C("nginx"), T()), ['replace copy.web["local-2"]', 'replace share.web["local-2/100000000001"]'], PlanOptions(replace=['copy.web["local-2"]'])),
    ("destroy a targeted copy takes its shares", [config(C("nginx"), T())], config(C("nginx"), T()), ['delete copy.web["local-2"]', 'delete share.web["local-2/100000000001"]'], PlanOptions(destroy=True, targets=['copy.web["local-2"]'])),
    ("target one template of two", [], config(C("nginx"), C("agent"), T(), T(name="api", comps=("agent",))), ["create component.agent", "create template.api", "create image.api"], PlanOptions(targets=["image.api"])),
    ("target a copy brings its image", [], config(C("nginx"), T(regions=("local-2", "local-3"))), ["create component.nginx", "create template.web", "create image.web", 'create copy.web["local-3"]'], PlanOptions(targets=['copy.web["local-3"]'])),
    ("for_each instance removed", [config(C("nginx"), T(key="a"), T(key="b"))], config(C("nginx"), T(key="a")), ['delete template.web["b"]', 'delete image.web["b"]', 'delete copy.web["b/local-2"]', 'delete share.web["b/local-2/100000000001"]'], PlanOptions()),
    ("for_each instance added", [config(C("nginx"), T(key="a"))], config(C("nginx"), T(key="a"), T(key="b")), ['create template.web["b"]', 'create image.web["b"]', 'create copy.web["b/local-2"]', 'create share.web["b/local-2/100000000001"]'], PlanOptions()),
    ("refresh-only with no drift", [config(C("nginx"), T())], config(C("nginx"), T()), [], PlanOptions(refresh_only=True)),
]


def _matches(got: list[str], want: list[str]) -> bool:
    """Exact matches; a '*' in a wanted line stands for any text (retained hashes)."""
    import re

    if len(got) != len(want):
        return False
    pool = list(got)
    for w in want:
        rx = re.compile("^" + ".*".join(re.escape(p) for p in w.split("*")) + "$")
        hit = next((g for g in pool if rx.match(g)), None)
        if hit is None:
            return False
        pool.remove(hit)
    return True


@pytest.mark.parametrize("name,history,final,expected,options", CASES, ids=[c[0] for c in CASES])
def test_differ_case(name, history, final, expected, options, monkeypatch):  # type: ignore[no-untyped-def]
    plan, _, _ = run_scenario(Scenario(name, history, final, options), monkeypatch)
    got = sorted(f"{c.action} {c.display_address}" for c in plan.actionable())
    assert _matches(got, expected), f"got {got}"


def test_case_count() -> None:
    assert len(CASES) >= 30


def test_pinned_version_without_bump_is_an_error(monkeypatch):  # type: ignore[no-untyped-def]
    from imgb.reconciler.planner import make_plan
    from tests.fakes import FakeProvider, MemorySession
    from tests.planner.harness import apply_config

    fp, session = FakeProvider("local-1"), MemorySession()
    assert apply_config(config(C("nginx", version="1.0.0")), session, fp).ok
    plan, diags = make_plan(config(C("nginx", "RUN changed", version="1.0.0")), session.state, {"local": fp}, PlanOptions(), state_existed=True)
    assert plan is None
    assert [d.summary for d in diags] == ["Component content changed without a new version"]
