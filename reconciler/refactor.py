"""Refactoring in code: what ``moved``, ``removed`` and ``import`` blocks do to the state.

At plan time (``plan_refactoring``) they rewrite a copy of the state before the differ sees it,
so the diff is between the configuration and the state as it will be once they are applied:

* ``moved``: what is recorded under ``from`` is recorded under ``to`` (a template with its
  images, copies and shares, as ``imgb state mv``), so nothing is built, copied or shared again.
  Neither provider can rename a component or a template, so the object keeps its cloud name.
* ``removed`` with ``destroy = false``: the objects become FORGET changes and leave the state;
  with ``destroy = true`` (the default) they are deleted like any block removed from the
  configuration.
* ``import``: the object is read through its provider and recorded under ``to``; a configuration
  that differs from it shows as the change it takes.

The plan carries the moves (``Plan.moves``) and the imports (``Change.importing``, with the
attributes read as ``before``); ``apply_refactoring`` records them before anything else runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from imgb import unknown
from imgb.addresses import Address, Kind, moved
from imgb.diagnostics import Diagnostics
from imgb.providers.base import Provider, ProviderError
from imgb.reconciler import hashing
from imgb.reconciler.config.model import Config
from imgb.reconciler.graph import Desired
from imgb.reconciler.plan import FORGOTTEN, Action, Change, Move, Plan, Rehash
from imgb.state.model import ResourceState, State, timestamp


@dataclass
class Refactoring:
    """What ``moved``, ``removed`` and ``import`` blocks make of the state before the diff."""

    state: State
    """The state the differ compares with."""
    moves: list[Move] = field(default_factory=list)
    previous: dict[str, str] = field(default_factory=dict)
    """Address after the moves -> address before, for every moved object."""
    forgotten: list[Change] = field(default_factory=list)
    imported: dict[str, str] = field(default_factory=dict)
    """Address -> the id imported there."""
    components: dict[str, str] = field(default_factory=dict)
    """Moved components: old address -> new."""
    rehashed: list[Rehash] = field(default_factory=list)
    images: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)
    """Image imports: address -> (id, provider, attributes read), recorded once the graph gives
    the content hash of the image the template's configuration builds."""
    unconfigured_imports: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(address, id, attributes read) of import blocks whose target has no configuration yet."""
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def _belongs(address: str, block: Address) -> bool:
    return moved(Address.parse(address), block, block) is not None


def move_records(state: State, src: Address, dst: Address) -> tuple[list[tuple[ResourceState, ResourceState]], dict[str, str]]:
    """The records ``src`` moving to ``dst`` moves, as (before, after), and the current images
    afterwards (template address -> content hash)."""
    pairs: list[tuple[ResourceState, ResourceState]] = []
    for r in state.resources:
        dest = moved(Address.parse(r.address), src, dst)
        if dest is not None:
            template = r.template and str(moved(Address.parse(r.template), src, dst) or r.template)
            pairs.append((r, r.model_copy(update={"address": str(dest), "template": template})))
    current = {str(moved(Address.parse(t), src, dst) or t): h for t, h in state.current.items()}
    return pairs, current


def _renamer(src: Address, dst: Address) -> Callable[[str], str]:
    """Where a template address goes when ``src`` moves to ``dst``."""
    return lambda t: str(moved(Address.parse(t), src, dst) or t)


def plan_refactoring(
    config: Config, state: State, providers: Mapping[str, Provider], mask: Callable[[Any], Any]
) -> Refactoring:
    out = Refactoring(state=state)
    st = state
    for m in config.moved:
        src, dst = Address.parse(m.from_address), Address.parse(m.to_address)
        pairs, _ = move_records(st, src, dst)
        if not pairs:
            continue  # nothing recorded there: the block stays as history, as in Terraform
        busy = sorted({o.address for o in st.operations for r, _ in pairs if o.address == r.address})
        if busy:
            out.diagnostics.error(
                "Cannot move an object with an operation in progress",
                f"An interrupted apply left {busy[0]} in progress. Run imgb apply without the moved block first, "
                "then add it again.",
                m.pos,
            )
            continue
        moving = {(r.address, r.image_hash) for r, _ in pairs}
        taken = {(r.address, r.image_hash) for r in st.resources} - moving
        clash = sorted(new.address for _, new in pairs if (new.address, new.image_hash) in taken)
        if clash:
            out.diagnostics.error(
                "Moved object's target already exists",
                f"This block moves {m.from_address} to {m.to_address}, but {clash[0]} is already in the state. "
                f"Remove one of them from the state (imgb state rm), or remove this moved block.",
                m.pos,
            )
            continue
        kept = [r for r in st.resources if (r.address, r.image_hash) not in moving]
        st = st.model_copy(update={"resources": kept + [new for _, new in pairs]})
        st = st.with_templates_renamed(_renamer(src, dst))
        out.moves.append(Move(from_address=m.from_address, to_address=m.to_address))
        for old, new in pairs:
            if old.address != new.address:
                out.previous[new.address] = out.previous.pop(old.address, old.address)
        if src.kind is Kind.COMPONENT:
            out.components.update({old.address: new.address for old, new in pairs})

    for rm in config.removed:
        if rm.destroy:
            continue  # deleted like any block that left the configuration
        block = Address.parse(rm.from_address)
        gone = [r for r in st.resources if _belongs(r.address, block)]
        for r in gone:
            out.forgotten.append(
                Change(
                    address=r.address, kind=r.kind, action=Action.FORGET, provider=r.provider, template=r.template,
                    image_hash=r.image_hash, retained=not st.is_current(r), before=dict(r.attributes), prior_id=r.id,
                    reasons=[FORGOTTEN],
                )
            )
        if gone:
            ids = {(r.address, r.image_hash) for r in gone}
            st = st.model_copy(update={
                "resources": [r for r in st.resources if (r.address, r.image_hash) not in ids],
                "current": {t: h for t, h in st.current.items() if not _belongs(t, block)},
            })

    declared = {a: c.provider for a, c in config.components.items()} | {a: t.provider for a, t in config.templates.items()}
    for imp in config.imports:
        addr = Address.parse(imp.to_address)
        if any(r.address == imp.to_address and (r.image_hash is None or r.id == imp.id) for r in st.resources):
            continue  # already managed: the block is history, as in Terraform
        configured = declared.get(str(addr.template))
        provider_key = configured or next(iter(sorted(config.providers)), "local")
        provider = providers.get(provider_key)
        if provider is None:
            continue
        try:
            attrs = provider.read(addr.kind, imp.id, {})
        except ProviderError as e:
            out.diagnostics.error("Cannot import", f"Reading {addr.kind} {imp.id} for {imp.to_address} failed: {e.code}: {e.message}.", imp.pos)
            continue
        if attrs is None:
            out.diagnostics.error(
                "Cannot import non-existent remote object",
                f'The {provider_key} provider has no {addr.kind} "{imp.id}" to import to {imp.to_address}. Check the id '
                f"(and the provider's region).",
                imp.pos,
            )
            continue
        attrs = {k: v for k, v in attrs.items() if k != "id"}
        if configured is None:
            out.unconfigured_imports.append((imp.to_address, imp.id, attrs))
            continue
        if addr.kind is Kind.IMAGE:  # its content hash is known once the graph is: see after_graph
            out.images[imp.to_address] = (imp.id, provider_key, mask(attrs))
            continue
        st = st.model_copy(update={"resources": [*st.resources, ResourceState(
            address=imp.to_address, kind=addr.kind, provider=provider_key, id=imp.id, attributes=mask(attrs))]})
        out.imported[imp.to_address] = imp.id
    out.state = st
    return out


def after_graph(refactoring: Refactoring, config: Config, nodes: Iterable[Desired]) -> Diagnostics:
    """What needs the desired images' content hashes: re-keying images of moved components, and
    importing images (as the image the template's configuration builds now)."""
    nodes = list(nodes)
    diags = Diagnostics()
    rehash_moved_components(refactoring, config, nodes)
    for node in nodes:
        found = refactoring.images.get(node.address)
        if node.kind is not Kind.IMAGE or found is None or not node.template or not node.image_hash:
            continue
        object_id, provider, attrs = found
        recorded = attrs.get("content_hash")
        if recorded and recorded != node.image_hash:
            diags.warning(
                "Imported image was built from other content",
                f"{object_id} records the content hash {str(recorded)[:12]}, but {node.template}'s configuration builds "
                f"{node.image_hash[:12]}. imgb adopts it as the image of the configuration as it is; to build the image "
                f"the configuration describes instead, plan with --replace {node.address} after the import.",
                address=node.address,
            )
        st = refactoring.state
        image = ResourceState(address=node.address, kind=Kind.IMAGE, provider=provider, id=object_id, template=node.template,
                              image_hash=node.image_hash, attributes={**attrs, "hash_inputs": dict(node.hash_inputs)})
        kept = [r for r in st.resources if (r.address, r.image_hash) != (node.address, node.image_hash)]
        refactoring.state = st.model_copy(update={"resources": [*kept, image],
                                                  "current": {**st.current, node.template: node.image_hash}})
        refactoring.imported[node.address] = object_id
    return diags


def rehash_moved_components(refactoring: Refactoring, config: Config, nodes: Iterable[Desired]) -> None:
    """A component's address is an input of the content hash of every image built with it (its
    digest, and the reference in the build and test commands), so a moved component would look
    like new content. The current image whose hash under the old addresses is the one recorded is
    re-keyed to the new hash, with its copies and shares, instead of being built again."""
    if not refactoring.components:
        return
    back = {new: old for old, new in refactoring.components.items()}

    def old_ref(ref: str) -> str:
        for new, old in back.items():
            if ref.startswith(new + "."):
                return unknown.marker(old + ref[len(new):])
        return unknown.marker(ref)

    st = refactoring.state
    for node in nodes:
        if node.kind is not Kind.IMAGE or not node.template or not node.image_hash:
            continue
        template = config.templates.get(node.template)
        if template is None or not back.keys() & node.hash_inputs.keys():
            continue
        old_inputs = {back.get(k, k): v for k, v in node.hash_inputs.items()}
        old_inputs[hashing.BUILD] = hashing.digest(unknown.display(unknown.substitute(template.build, old_ref)))
        old_inputs[hashing.TEST] = hashing.digest(unknown.display(unknown.substitute(template.test, old_ref)))
        old_hash = hashing.content_hash(old_inputs)
        if old_hash == node.image_hash or not any(r.template == node.template and r.image_hash == old_hash for r in st.resources):
            continue
        resources = []
        for r in st.resources:
            if r.template == node.template and r.image_hash == old_hash:
                attrs = {**r.attributes, "hash_inputs": dict(node.hash_inputs)} if r.kind is Kind.IMAGE else r.attributes
                r = r.model_copy(update={"image_hash": node.image_hash, "attributes": attrs})
            resources.append(r)
        st = st.model_copy(update={"resources": resources}, deep=True)
        st.rehash(node.template, old_hash, node.image_hash)
        refactoring.rehashed.append(Rehash(template=node.template, from_hash=old_hash, to_hash=node.image_hash,
                                           hash_inputs=dict(node.hash_inputs)))
    refactoring.state = st


def annotate(changes: list[Change], refactoring: Refactoring, provider_types: Mapping[str, str]) -> list[Change]:
    """The differ's changes with what the blocks did: where an object moved from (keeping its
    cloud name), what is imported, and what is forgotten."""
    out = [c for c in changes if c.key not in {f.key for f in refactoring.forgotten}]
    for c in out:
        if c.address in refactoring.previous:
            c.previous_address = refactoring.previous[c.address]
            before, after = (c.before or {}).get("name"), (c.after or {}).get("name")
            if c.action is Action.NOOP and c.kind in (Kind.COMPONENT, Kind.TEMPLATE) and before and before != after:
                assert c.after is not None
                c.after["name"] = before
                ptype = provider_types.get(c.provider, c.provider)
                c.reasons.append(f'the {ptype} provider cannot rename a {c.kind}: it keeps its name "{before}"')
        if c.address in refactoring.imported and not c.retained and c.kind is not Kind.COPY and c.kind is not Kind.SHARE:
            c.importing = refactoring.imported[c.address]
    return out + refactoring.forgotten


class _Session(Protocol):
    @property
    def state(self) -> State: ...

    def put(self, resource: ResourceState, *, wait: bool = True) -> None: ...

    def remove(self, address: str, image_hash: str | None) -> None: ...

    def move_template(self, src: str, dst: str) -> None: ...

    def rehash(self, template: str, old: str, new: str) -> None: ...

    def promote(self, template: str, image_hash: str, at: str) -> None: ...

    def retire(self, template: str, at: str) -> None: ...


def apply_refactoring(session: _Session, plan: Plan) -> None:
    """Record the plan's moves and imports in state, before its actions run (they refer to the
    objects by their new addresses). A moved template takes its lifecycle facts along (what is
    in service, since when: docs/lifecycle.md), or the next plan would prune its retained images."""
    for m in plan.moves:
        src, dst = Address.parse(m.from_address), Address.parse(m.to_address)
        pairs, _ = move_records(session.state, src, dst)
        for old, _ in pairs:
            session.remove(old.address, old.image_hash)
        for _, new in pairs:
            session.put(new)
        st, rename = session.state, _renamer(src, dst)
        for t in sorted(set(st.current) | set(st.in_service) | set(st.failures)):
            if rename(t) != t:
                session.move_template(t, rename(t))
    for rh in plan.rehashed:
        records = [r for r in session.state.resources if r.template == rh.template and r.image_hash == rh.from_hash]
        for r in records:
            session.remove(r.address, r.image_hash)
        for r in records:
            attrs = {**r.attributes, "hash_inputs": dict(rh.hash_inputs)} if r.kind is Kind.IMAGE else r.attributes
            session.put(r.model_copy(update={"image_hash": rh.to_hash, "attributes": attrs}))
        session.rehash(rh.template, rh.from_hash, rh.to_hash)
    for c in plan.changes:
        if c.importing and session.state.get(c.address, c.image_hash) is None:
            session.put(ResourceState(address=c.address, kind=c.kind, provider=c.provider, id=c.importing,
                                      template=c.template, image_hash=c.image_hash, attributes=dict(c.before or {})))
            if c.kind is Kind.IMAGE and c.template and c.image_hash:
                session.promote(c.template, c.image_hash, timestamp())  # an adopted image is the one in service
        # A template forgotten for good takes its image out of service; a deposed template record
        # found gone (its replacement is the live one) takes nothing.
        live = c.image_hash is None
        if c.action is Action.FORGET and c.kind is Kind.TEMPLATE and live and c.address in session.state.current:
            session.retire(c.address, timestamp())
