"""Planner scenarios: a history of configurations applied with the fake provider, then a plan.

Shared by the golden tests (human, JSON and markdown output) and the convergence tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imgb import unknown
from imgb.diagnostics import SourcePos
from imgb.reconciler.config.model import (
    Component,
    Config,
    DistributionRef,
    ProviderConfig,
    Template,
    Variable,
)
from imgb.reconciler.planner import PlanOptions

P = SourcePos("main.imgb.hcl", 1)


def component(name: str, content: str = "RUN echo hardening", key: str | None = None, **kw: Any) -> Component:
    return Component(name=name, key=key, provider="local", content=content, pos=P, **kw)


def template(
    name: str = "web",
    comps: tuple[str, ...] = ("nginx",),
    regions: tuple[str, ...] = ("local-2",),
    accounts: tuple[str, ...] = ("100000000001",),
    extra: str = "RUN echo app",
    key: str | None = None,
    retain: int = 3,
    base: str = "busybox",
    test: str = "",
) -> Template:
    build = "".join(f"COMPONENT {unknown.marker(f'component.{c}.id')}\n" for c in comps) + extra + "\n"
    return Template(
        name=name,
        key=key,
        provider="local",
        base_image=base,
        build=build,
        test=test,
        retain=retain,
        pos=P,
        distribute=(DistributionRef(address="distribution.prod", regions=regions, accounts=accounts),),
    )


def config(*blocks: Component | Template, variables: dict[str, Variable] | None = None, sensitive: tuple[str, ...] = ()) -> Config:
    comps = {b.address: b for b in blocks if isinstance(b, Component)}
    tmpls = {b.address: b for b in blocks if isinstance(b, Template)}
    return Config(
        directory="/nonexistent-imgb-test",
        providers={"local": ProviderConfig(type="local", region="local-1")},
        components=comps,
        templates=tmpls,
        variables=variables or {},
        sensitive_values=sensitive,
    )


def base() -> Config:
    return config(component("nginx"), template())


@dataclass
class Scenario:
    name: str
    history: list[Config]
    final: Config
    options: PlanOptions = field(default_factory=PlanOptions)
    prepare: Callable[[Any, Any], None] | None = None
    """Called with (fake provider, session) after the history is applied (drift)."""
    expect_error: bool = False


def _with_token(token: str) -> Config:
    return config(
        component("nginx", f"RUN echo token={token} > /etc/agent"),
        template(),
        variables={"token": Variable(name="token", sensitive=True, value=token)},
        sensitive=(token,),
    )


def _drift(fp: Any, session: Any) -> None:
    r = session.state.get('share.web["local-2/100000000001"]', session.state.current["template.web"])
    fp.remove_outside(r.id)


SCENARIOS = [
    Scenario("first_plan", [], base()),
    Scenario("no_changes", [base()], base()),
    Scenario(
        "component_content_change",
        [base()],
        config(component("nginx", "RUN echo hardened-more"), template()),
    ),
    Scenario("region_added", [base()], config(component("nginx"), template(regions=("local-2", "local-3")))),
    Scenario(
        "account_removed",
        [config(component("nginx"), template(accounts=("100000000001", "100000000002")))],
        base(),
    ),
    Scenario(
        "rollback_to_kept_image",
        [base(), config(component("nginx"), template(extra="RUN echo app v2"))],
        base(),
    ),
    Scenario(
        "prune_past_retain",
        [
            config(component("nginx"), template(extra="RUN echo v1", retain=2)),
            config(component("nginx"), template(extra="RUN echo v2", retain=2)),
        ],
        config(component("nginx"), template(extra="RUN echo v3", retain=2)),
    ),
    Scenario("template_removed", [base()], config(component("nginx"))),
    Scenario("drift", [base()], base(), prepare=_drift),
    Scenario(
        "for_each",
        [],
        config(component("nginx"), template(key="ubuntu"), template(key="alinux", regions=("local-3",))),
    ),
    Scenario(
        "sensitive_variable",
        [],
        config(
            component("nginx", "RUN echo token=s3cr3t-value > /etc/agent"),
            template(),
            variables={"token": Variable(name="token", sensitive=True, value="s3cr3t-value")},
            sensitive=("s3cr3t-value",),
        ),
    ),
    Scenario(
        "sensitive_value_rotated",
        [_with_token("s3cr3t-value")],
        _with_token("r0tated-value"),
    ),
    Scenario(
        "target",
        [],
        config(component("nginx"), component("agent"), template(), template(name="api", comps=("agent",))),
        PlanOptions(targets=["image.api"]),
    ),
    Scenario("replace", [base()], base(), PlanOptions(replace=["template.web"])),
    Scenario("destroy", [base()], base(), PlanOptions(destroy=True)),
    Scenario("refresh_only_drift", [base()], base(), PlanOptions(refresh_only=True), prepare=_drift),
    Scenario(
        "test_component_change_and_new_account",
        [base()],
        config(component("nginx"), template(accounts=("100000000001", "100000000003"), test="RUN test -f /etc/os-release")),
    ),
]


def fixed_clock() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"2026-01-01T00:00:{next(counter):02d}.000+00:00"
