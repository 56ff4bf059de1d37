"""The soak's world: a small configuration that random edits change, rendered to HCL, and the
check that the local store holds exactly what state says.

Builds stay tiny (busybox, one RUN per component or template) so a cycle costs about a second.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgb.providers.local import list_images
from imgb.providers.local.store import Store
from imgb.state.model import State

HOME = "local-1"
REGIONS = ("local-2", "local-3", "local-4")
ACCOUNTS = ("100000000001", "100000000002", "100000000003")
MAX_COMPONENTS, MAX_TEMPLATES, MAX_DISTRIBUTIONS = 4, 3, 2


@dataclass(frozen=True)
class TemplateSpec:
    components: tuple[str, ...] = ()
    version: int = 0
    distribute: tuple[str, ...] = ()
    retain: int = 2
    copy: str = ""
    """"": no COPY; "file": COPY files/<name>.txt; "all": COPY . (the whole directory)."""


@dataclass(frozen=True)
class DistributionSpec:
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class World:
    components: Mapping[str, int] = field(default_factory=dict)
    """Component name -> version of its one RUN command."""
    templates: Mapping[str, TemplateSpec] = field(default_factory=dict)
    distributions: Mapping[str, DistributionSpec] = field(default_factory=dict)
    files: Mapping[str, int] = field(default_factory=dict)
    """files/<name>.txt -> version of its content."""

    def render(self) -> str:
        out = [f'provider "local" {{\n  root   = ".imgb/cloud"\n  region = "{HOME}"\n}}\n']
        for name, v in sorted(self.components.items()):
            out.append(f'component "{name}" {{\n  content = "RUN echo {name}-v{v} > /{name}"\n}}\n')
        for name, d in sorted(self.distributions.items()):
            regions = ", ".join(f'"{r}"' for r in d.regions)
            accounts = ", ".join(f'"{a}"' for a in d.accounts)
            out.append(f'distribution "{name}" {{\n  regions  = [{regions}]\n  accounts = [{accounts}]\n}}\n')
        for name, t in sorted(self.templates.items()):
            build = "".join(f"    COMPONENT ${{component.{c}.id}}\n" for c in t.components)
            if t.copy == "file":
                build += f"    COPY files/{name}.txt /data.txt\n"
            elif t.copy == "all":
                build += "    COPY . /ctx\n"
            dist = ", ".join(f"distribution.{d}" for d in t.distribute)
            out.append(
                f'template "{name}" {{\n  base_image = "busybox"\n  build      = <<-EOT\n{build}'
                f"    RUN echo {name}-v{t.version} > /{name}\n  EOT\n  image_name = \"{name}\"\n"
                f"  distribute = [{dist}]\n  retain     = {t.retain}\n}}\n"
            )
        return "\n".join(out)

    def write(self, directory: Path) -> None:
        (directory / "main.imgb.hcl").write_text(self.render())
        (directory / "files").mkdir(exist_ok=True)
        for old in (directory / "files").glob("*.txt"):
            if old.stem not in self.templates:
                old.unlink()
        for name in self.templates:
            (directory / "files" / f"{name}.txt").write_text(f"{name} data v{self.files.get(name, 0)}\n")


def _pick(rng: random.Random, items: Any) -> Any:
    return rng.choice(sorted(items))


def _fresh(rng: random.Random, prefix: str, taken: Mapping[str, Any]) -> str:
    while True:
        name = f"{prefix}{rng.randrange(100)}"
        if name not in taken:
            return name


def edit(world: World, rng: random.Random) -> tuple[World, str]:
    """One random edit: (new world, what it did). Always returns a valid configuration."""
    comps, tmpls, dists = dict(world.components), dict(world.templates), dict(world.distributions)
    files = dict(world.files)
    choices = ["change-component", "change-template", "add-region", "remove-region", "add-account",
               "remove-account", "retain", "link-component", "copy-mode", "change-file"]
    if len(comps) < MAX_COMPONENTS:
        choices.append("add-component")
    if comps:
        choices.append("remove-component")
    if len(tmpls) < MAX_TEMPLATES:
        choices += ["add-template", "add-template"]
    if tmpls:
        choices.append("remove-template")
    if len(dists) < MAX_DISTRIBUTIONS:
        choices.append("add-distribution")
    if dists:
        choices.append("remove-distribution")
    what = rng.choice(choices)
    if what == "add-component":
        name = _fresh(rng, "comp", comps)
        comps[name] = 0
        if tmpls:  # usually used at once, so it is built into something
            t = _pick(rng, tmpls)
            tmpls[t] = dataclasses.replace(tmpls[t], components=(*tmpls[t].components, name))
        what += f" {name}"
    elif what == "remove-component" and comps:
        name = _pick(rng, comps)
        del comps[name]
        for t, spec in tmpls.items():
            tmpls[t] = dataclasses.replace(spec, components=tuple(c for c in spec.components if c != name))
        what += f" {name}"
    elif what == "change-component" and comps:
        name = _pick(rng, comps)
        comps[name] += 1
        what += f" {name}"
    elif what == "link-component" and comps and tmpls:
        t, c = _pick(rng, tmpls), _pick(rng, comps)
        cs = tmpls[t].components
        tmpls[t] = dataclasses.replace(tmpls[t], components=tuple(x for x in cs if x != c) if c in cs else (*cs, c))
        what += f" {c} in {t}"
    elif what == "add-template":
        name = _fresh(rng, "tmpl", tmpls)
        used = tuple(sorted(rng.sample(sorted(comps), k=min(len(comps), rng.randint(0, 2)))))
        dist = tuple(sorted(rng.sample(sorted(dists), k=min(len(dists), rng.randint(0, 1)))))
        tmpls[name] = TemplateSpec(components=used, distribute=dist, retain=rng.randint(1, 3))
        what += f" {name}"
    elif what == "remove-template" and tmpls:
        name = _pick(rng, tmpls)
        del tmpls[name]
        what += f" {name}"
    elif what == "change-template" and tmpls:
        name = _pick(rng, tmpls)
        tmpls[name] = dataclasses.replace(tmpls[name], version=tmpls[name].version + 1)
        what += f" {name}"
    elif what == "retain" and tmpls:
        name = _pick(rng, tmpls)
        tmpls[name] = dataclasses.replace(tmpls[name], retain=rng.randint(1, 3))
        what += f" {name}={tmpls[name].retain}"
    elif what == "copy-mode" and tmpls:
        name = _pick(rng, tmpls)
        tmpls[name] = dataclasses.replace(tmpls[name], copy=rng.choice(["", "file", "file", "all"]))
        what += f" {name}={tmpls[name].copy or 'none'}"
    elif what == "change-file" and tmpls:
        name = _pick(rng, tmpls)
        files[name] = files.get(name, 0) + 1
        what += f" {name}"
    elif what == "add-distribution":
        name = _fresh(rng, "dist", dists)
        dists[name] = DistributionSpec(regions=(rng.choice(REGIONS),), accounts=(rng.choice(ACCOUNTS),))
        if tmpls:
            t = _pick(rng, tmpls)
            tmpls[t] = dataclasses.replace(tmpls[t], distribute=(*tmpls[t].distribute, name))
        what += f" {name}"
    elif what == "remove-distribution" and dists:
        name = _pick(rng, dists)
        del dists[name]
        for t, spec in tmpls.items():
            tmpls[t] = dataclasses.replace(spec, distribute=tuple(d for d in spec.distribute if d != name))
        what += f" {name}"
    elif what in ("add-region", "remove-region", "add-account", "remove-account") and dists:
        name = _pick(rng, dists)
        d = dists[name]
        field_name = "regions" if "region" in what else "accounts"
        pool = REGIONS if field_name == "regions" else ACCOUNTS
        have = getattr(d, field_name)
        if what.startswith("add"):
            new = tuple(sorted(set(have) | {rng.choice(pool)}))
        else:
            new = tuple(x for x in have if x != rng.choice(pool))
        dists[name] = dataclasses.replace(d, **{field_name: new})
        what += f" {name}"
    else:
        what = "nothing"
    return World(comps, tmpls, dists, files), what


def store_mismatches(root: Path, state: State) -> list[str]:
    """Every difference between the local store at ``root`` and ``state``, both ways."""
    problems: list[str] = []
    store = Store(root)
    images = {(row["region"], row["id"]): row for row in list_images(root) if row.get("content_hash")}
    shares = {(region, iid, acct) for region in store.regions() for iid, accts in store.shares(region).items() for acct in accts}
    components = {r["id"] for r in store.records(HOME, "components")}
    templates = {r["id"] for r in store.records(HOME, "templates")}
    seen_images: set[tuple[str, str]] = set()
    seen_shares: set[tuple[str, str, str]] = set()
    for r in state.resources:
        where = f"{state.display_address(r)} ({r.id})"
        if r.kind == "component":
            if r.id not in components:
                problems.append(f"{where} is in state but not in the store")
        elif r.kind == "template":
            if r.id not in templates:
                problems.append(f"{where} is in state but not in the store")
        elif r.kind in ("image", "copy"):
            region = str(r.attributes.get("region") or HOME)
            row = images.get((region, r.id))
            seen_images.add((region, r.id))
            if row is None:
                problems.append(f"{where} in {region} is in state but not in the store")
            elif row["content_hash"] != r.image_hash:
                problems.append(f"{where}: the store's content hash {row['content_hash']} is not state's {r.image_hash}")
        elif r.kind == "share":
            iid, _, account = r.id.partition("/")
            region = str(r.attributes.get("region") or HOME)
            seen_shares.add((region, iid, account))
            if (region, iid, account) not in shares:
                problems.append(f"{where} is in state but {iid} is not shared with {account} in {region}")
    state_ids = {r.id for r in state.resources}
    problems += [f"component {c} is in the store but not in state" for c in sorted(components - state_ids)]
    problems += [f"template {t} is in the store but not in state" for t in sorted(templates - state_ids)]
    problems += [f"image {i} in {reg} is in the store but not in state" for reg, i in sorted(set(images) - seen_images)]
    problems += [f"share {i}/{a} in {reg} is in the store but not in state" for reg, i, a in sorted(shares - seen_shares)]
    if state.operations:
        problems.append(f"state still has operations in flight: {[o.address for o in state.operations]}")
    return problems


def retained_counts(state: State) -> dict[str, int]:
    """Template address -> number of built images state keeps for it (current one included)."""
    counts: dict[str, int] = {}
    for r in state.resources:
        if r.kind == "image" and r.template and r.status != "deposed":
            counts[r.template] = counts.get(r.template, 0) + 1
    return counts
