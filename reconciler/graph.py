"""Expand a configuration into the five resource kinds and their dependencies.

    component.x ──▶ template.t ──▶ image.t ──▶ copy.t["r"] ──▶ share.t["r/account"]

Each node is a ``Desired`` resource with the attributes the provider will be given. Values
known only after apply (ids of things this plan creates) stand as ``unknown`` markers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from imgb import unknown
from imgb.addresses import Address, Kind
from imgb.diagnostics import Diagnostics, SourcePos
from imgb.reconciler import hashing
from imgb.reconciler.config.gc_pause import gc_paused
from imgb.reconciler.config.model import Config, Template
from imgb.reconciler.dag import Dag
from imgb.reconciler.masking import SECRETS_DIGEST, make_masker


@dataclass
class Desired:
    """One resource as the configuration wants it: its attributes and what it needs."""

    address: str
    kind: Kind
    provider: str
    attrs: dict[str, Any]
    deps: list[str] = field(default_factory=list)
    template: str | None = None
    image_hash: str | None = None
    hash_inputs: dict[str, str] = field(default_factory=dict)
    pos: SourcePos | None = None
    retain: int | None = None
    """A template: how many built images it keeps, the current one included."""
    base_label: str | None = None
    """An image: its base image or family as the user wrote it, for the plan's reasons."""


@dataclass
class ResourceGraph:
    """Every desired resource and the dependencies between them."""

    nodes: dict[str, Desired]
    graph: Dag[str]
    """Edges point from a dependency to what depends on it."""
    home_regions: dict[str, str] = field(default_factory=dict)
    """Provider key -> home region."""

    def order(self) -> list[str]:
        return self.graph.topological_order(key=lambda a: Address.parse(a).sort_key())


def cloud_name(name: str, key: str | None) -> str:
    """The name a component or template instance has in the cloud: its label, and under
    for_each a hyphen and the key."""
    return name if key is None else f"{name}-{key}"


def distribution_targets(template: Template, home: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Where a template's image goes: the regions it is copied to (every distribution region but
    the home region, where it is built) and the (region, account) pairs it is shared in (each of
    a distribution's regions, or the home region when it names none). Sorted."""
    regions: set[str] = set()
    shares: set[tuple[str, str]] = set()
    for dist in template.distribute:
        regions.update(r for r in dist.regions if r != home)
        for account in dist.accounts:
            shares.update((r, account) for r in (dist.regions or (home,)))
    return sorted(regions), sorted(shares)


@gc_paused()
def build_graph(
    config: Config,
    base_images: Mapping[str, str],
    provider_types: Mapping[str, str] | None = None,
) -> tuple[ResourceGraph, Diagnostics]:
    """``base_images``: template address -> resolved base image id (pinned for the plan)."""
    diags = Diagnostics()
    nodes: dict[str, Desired] = {}
    homes = {key: p.region for key, p in config.providers.items()}
    ptypes = dict(provider_types or {key: p.type for key, p in config.providers.items()})
    mask = make_masker(config.sensitive_values)

    for addr, comp in config.components.items():
        nodes[addr] = Desired(
            address=addr,
            kind=Kind.COMPONENT,
            provider=comp.provider,
            attrs={
                "name": cloud_name(comp.name, comp.key),
                "version": comp.version,
                "type": comp.type,
                "system_type": comp.system_type,
                "description": comp.description,
                "content": comp.content,
                "tags": dict(comp.tags),
            },
            deps=[d for d in comp.depends_on if not d.startswith("distribution.")],
            pos=comp.pos,
        )
        _note_secrets(nodes[addr].attrs, mask)

    for addr, tmpl in config.templates.items():
        _add_template(config, addr, tmpl, base_images, homes, ptypes, nodes)
        _note_secrets(nodes[addr].attrs, mask)

    g: Dag[str] = Dag()
    g.add_nodes_from(nodes)
    for addr, node in nodes.items():
        for dep in node.deps:
            if dep in nodes:  # depends_on a distribution orders nothing: distributions make no objects
                g.add_edge(dep, addr)
    cycle = _find_cycle(g)
    if cycle:
        first = nodes[cycle[0]]
        diags.error(
            "Dependency cycle",
            "These resources depend on each other in a loop (each one depends on the next): "
            + " → ".join(cycle + [cycle[0]])
            + ". Remove one of the references or depends_on entries that close the loop.",
            first.pos,
        )
    return ResourceGraph(nodes, g, homes), diags


def _note_secrets(attrs: dict[str, Any], mask: Callable[[Any], Any]) -> None:
    """Plans and state hold sensitive values masked, so a change of a secret alone would be
    invisible to the differ: a digest of the unmasked attributes makes it visible."""
    if mask(attrs) != attrs:
        attrs[SECRETS_DIGEST] = hashing.digest(attrs)


def _find_cycle(g: Dag[str]) -> list[str]:
    if g.is_acyclic():
        return []
    import networkx as nx  # only to report a cycle

    cycles = sorted((list(c) for c in nx.simple_cycles(g.to_networkx())), key=lambda c: (len(c), sorted(c)))
    cycle = list(reversed(cycles[0]))  # edges run dependency -> dependent; people read "depends on"
    # Rotate so the same cycle always prints from the same place (Terraform does the same).
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]


def _add_template(
    config: Config,
    addr: str,
    tmpl: Template,
    base_images: Mapping[str, str],
    homes: Mapping[str, str],
    ptypes: Mapping[str, str],
    nodes: dict[str, Desired],
) -> None:
    home = homes.get(tmpl.provider, "")
    base_id = base_images.get(addr, tmpl.base_image or tmpl.base_image_family or "")
    comp_refs = hashing.referenced_components(tmpl.build) + hashing.referenced_components(tmpl.test)
    deps = list(dict.fromkeys(comp_refs + [d for d in tmpl.depends_on if not d.startswith("distribution.")]))
    nodes[addr] = Desired(
        address=addr,
        kind=Kind.TEMPLATE,
        provider=tmpl.provider,
        attrs={
            "name": cloud_name(tmpl.name, tmpl.key),
            "description": tmpl.description,
            "base_image": base_id,
            "build_content": tmpl.build,
            "test_content": tmpl.test,
            "instance_type": tmpl.instance_type,
            "system_disk_size": tmpl.system_disk_size,
            "internet_max_bandwidth_out": tmpl.internet_max_bandwidth_out,
            "vswitch_id": tmpl.vswitch_id,
            "delete_instance_on_failure": tmpl.delete_instance_on_failure,
            "image_name": tmpl.image_name,
            "image_family": tmpl.image_family,
            "image_description": tmpl.image_description,
            "image_tags": dict(tmpl.image_tags),
            "tags": dict(tmpl.tags),
        },
        deps=deps,
        pos=tmpl.pos,
        retain=tmpl.retain,
    )

    inputs = hashing.hash_inputs(config, tmpl, base_id, ptypes.get(tmpl.provider, ""), home)
    h = hashing.content_hash(inputs)
    template = Address(Kind.TEMPLATE, tmpl.name, tmpl.key)
    image_addr = str(Address.image(template))
    nodes[image_addr] = Desired(
        address=image_addr,
        kind=Kind.IMAGE,
        provider=tmpl.provider,
        attrs={
            "template_id": unknown.marker(f"{addr}.id"),
            "content_hash": h,
            "image_name": tmpl.image_name or cloud_name(tmpl.name, tmpl.key),
            "image_family": tmpl.image_family,
            "image_tags": dict(tmpl.image_tags),
            "tags": dict(tmpl.tags),
        },
        deps=[addr],
        template=addr,
        image_hash=h,
        hash_inputs=inputs,
        pos=tmpl.pos,
        base_label=tmpl.base_image_family or tmpl.base_image or "",
    )

    regions, shares = distribution_targets(tmpl, home)
    for region in regions:
        copy_addr = str(Address.copy(template, region))
        nodes[copy_addr] = Desired(
            address=copy_addr,
            kind=Kind.COPY,
            provider=tmpl.provider,
            attrs={
                "source_image_id": unknown.marker(f"{image_addr}.id"),
                "source_region": home,
                "region": region,
                "image_name": nodes[image_addr].attrs["image_name"],
                "content_hash": h,
                "tags": dict(tmpl.tags),
            },
            deps=[image_addr],
            template=addr,
            image_hash=h,
            pos=tmpl.attr_pos.get("distribute", tmpl.pos),
        )

    for region, account in shares:
        share_addr = str(Address.share(template, region, account))
        source = image_addr if region == home else str(Address.copy(template, region))
        nodes[share_addr] = Desired(
            address=share_addr,
            kind=Kind.SHARE,
            provider=tmpl.provider,
            attrs={"image_id": unknown.marker(f"{source}.id"), "region": region, "account": account},
            deps=[source],
            template=addr,
            image_hash=h,
            pos=tmpl.attr_pos.get("distribute", tmpl.pos),
        )
