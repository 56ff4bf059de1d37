"""Hand-built configurations for the content checks (no loader needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imgb.diagnostics import Diagnostics, SourcePos
from imgb.reconciler.config.model import (
    Component,
    Config,
    Distribution,
    DistributionRef,
    ProviderConfig,
    Template,
    TextOrigin,
)
from imgb.unknown import marker

FILE = "main.imgb.hcl"


def component(name: str, content: str, *, line: int = 1, **fields: Any) -> Component:
    """A component whose content is a heredoc starting at ``line + 1``."""
    return Component(
        name=name,
        provider="local",
        content=content,
        content_origin=TextOrigin(filename=FILE, line=line + 1),
        pos=SourcePos(FILE, line),
        attr_pos={"content": SourcePos(FILE, line)},
        **fields,
    )


def template(name: str, build: str = "", test: str = "", *, line: int = 100, **fields: Any) -> Template:
    fields.setdefault("base_image", "busybox")
    return Template(
        name=name,
        provider="local",
        build=build,
        build_origin=TextOrigin(filename=FILE, line=line + 1),
        test=test,
        test_origin=TextOrigin(filename=FILE, line=line + 50),
        pos=SourcePos(FILE, line),
        attr_pos={
            "build": SourcePos(FILE, line),
            "test": SourcePos(FILE, line + 49),
            "system_disk_size": SourcePos(FILE, line + 90),
            "internet_max_bandwidth_out": SourcePos(FILE, line + 91),
            "image_name": SourcePos(FILE, line + 92),
            "distribute": SourcePos(FILE, line + 93),
        },
        **fields,
    )


def distribution(name: str, regions: tuple[str, ...] = (), accounts: tuple[str, ...] = ()) -> Distribution:
    return Distribution(
        name=name,
        regions=regions,
        accounts=accounts,
        pos=SourcePos(FILE, 500),
        attr_pos={"regions": SourcePos(FILE, 501), "accounts": SourcePos(FILE, 502)},
    )


def dist_ref(d: Distribution) -> DistributionRef:
    return DistributionRef(address=d.address, regions=d.regions, accounts=d.accounts)


def config(
    directory: Path,
    components: list[Component] = (),  # type: ignore[assignment]
    templates: list[Template] = (),  # type: ignore[assignment]
    distributions: list[Distribution] = (),  # type: ignore[assignment]
) -> Config:
    return Config(
        directory=str(directory),
        files=(FILE,),
        providers={"local": ProviderConfig(type="local", region="local-1")},
        components={c.address: c for c in components},
        templates={t.address: t for t in templates},
        distributions={d.address: d for d in distributions},
    )


def ref(name: str) -> str:
    return marker(f"component.{name}.id")


def summaries(diags: Diagnostics) -> list[str]:
    return [d.summary for d in diags]


def lines(diags: Diagnostics, summary: str) -> list[int]:
    return [d.pos.line for d in diags if d.summary == summary and d.pos is not None]
