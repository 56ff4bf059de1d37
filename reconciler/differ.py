"""diff(desired graph, state) -> changes. A pure function: no I/O, deterministic.

Rules, in the order a reviewer would ask about them:
* Components and templates are replaced when an attribute their provider declares force-new
  changes (no provider offers updates in place: Alibaba has no update calls); the new one is
  created before the old one goes unless the provider's schema says otherwise. A component whose
  version imgb manages gets the next patch version.
* An image is identified by its content hash. It is built only when no image with that hash
  exists; a retained image with the hash is made current again (a rollback, no build).
* Copies and shares belong to an image generation. Changing only distribution targets copies,
  shares or unshares. A region or account removed from distribution is removed from every
  retained generation too.
* An image that failed its tests is never copied, shared or made current, and not built again
  while its inputs are the same: the plan says so, once (docs/lifecycle.md, I4).
* ``retain`` keeps the generations most recently in service (I3); the others go with their
  copies and shares. The engine deletes them only once the generation this plan makes current
  is in service (I1: ``apply.build_steps``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from imgb import unknown
from imgb.addresses import Address, Kind
from imgb.diagnostics import Diagnostics
from imgb.providers.base import KindSchema, ProviderSchema
from imgb.reconciler import hashing
from imgb.reconciler.config.gc_pause import gc_paused
from imgb.reconciler.graph import Desired, ResourceGraph
from imgb.reconciler.masking import SECRETS_DIGEST
from imgb.reconciler.plan import TEST_FAILED_WARNING, Action, Change
from imgb.state.model import DEPOSED, TEST_FAILED, ResourceState, State


@dataclass
class DiffOptions:
    """What the diff is asked for (the plan's mode, targets, replacements) and what it knows (drift, schemas)."""

    destroy: bool = False
    refresh_only: bool = False
    targets: list[str] = field(default_factory=list)
    replace: list[str] = field(default_factory=list)
    drift: Mapping[tuple[str, str | None], str] = field(default_factory=dict)
    """Objects refresh found gone -> a note. The diff treats them as absent: it makes them again
    where the configuration wants them, and forgets the others."""
    mask: Callable[[Any], Any] = field(default=lambda v: v)
    """Masks sensitive values; state holds them masked, so desired values compare masked."""
    schemas: Mapping[str, ProviderSchema] = field(default_factory=dict)
    """Provider key -> its schema: which attributes force a replacement, whether the new object
    is created before the old one goes. A provider without one: every attribute, created first."""


_EVERYTHING = KindSchema(force_new=frozenset({"*"}))
_NOT_COMPARED = frozenset({"name"})
"""The name follows from the address, which moved blocks change while the cloud object (which
neither provider can rename) keeps its name."""


@dataclass
class DiffResult:
    """The changes, each template's image in service afterwards, and what the diff found wrong."""

    changes: list[Change]
    current_after: dict[str, str | None]
    diagnostics: Diagnostics


def bump_patch(version: str | None) -> str:
    if not version:
        return "1.0.0"
    major, minor, patch = (int(p) for p in version.split("."))
    return f"{major}.{minor}.{patch + 1}"


def _changed(attr: str) -> str:
    return "a sensitive value changed" if attr == SECRETS_DIGEST else f"{attr} changed"


def _differs(a: Any, b: Any) -> bool:
    return (a or None) != (b or None)


class _Differ:
    def __init__(self, graph: ResourceGraph, state: State, options: DiffOptions):
        self.graph = graph
        self.prior = state
        """The state as recorded, objects found gone included."""
        if options.drift:
            state = state.model_copy(update={"resources": [r for r in state.resources if r.key not in options.drift]})
        self.state = state
        self.opts = options
        self.diags = Diagnostics()
        self.changes: dict[tuple[str, str | None], Change] = {}
        self.new_ids: set[str] = set()
        """Addresses whose object this plan creates anew: their id is unknown until apply."""
        self.ops = {(o.address, o.image_hash): o for o in state.operations}
        self.by_key = state.index()
        self.durations: dict[str, float] = {}
        self.generations: dict[str, set[str | None]] = {}
        """Address -> image hashes it exists for in state."""
        self.deposed_ids: set[str] = set()
        """Ids of images and copies a replacement left deposed (this plan deletes them)."""
        for r in state.resources:
            if r.duration_s:
                self.durations[r.address] = r.duration_s
            self.generations.setdefault(r.address, set()).add(r.image_hash)
            if r.status == DEPOSED and r.kind in (Kind.IMAGE, Kind.COPY):
                self.deposed_ids.add(r.id)
        self.current_after: dict[str, str | None] = {}
        self.test_failed: dict[str, str] = {}
        """Template -> the hash of its desired image, which failed its tests: kept, not distributed."""

    # -- helpers ---------------------------------------------------------------------------
    def _kind_schema(self, node: Desired) -> KindSchema:
        schema = self.opts.schemas.get(node.provider)
        return schema.kinds.get(node.kind, _EVERYTHING) if schema is not None else _EVERYTHING

    def _compared(self, node: Desired) -> list[str]:
        """The attributes whose change replaces ``node``'s object, as its provider declares them
        (no provider offers updates in place, so no other attribute is compared). A change of a
        sensitive value alone shows in the digest of them."""
        ks = self._kind_schema(node)
        names = node.attrs if "*" in ks.force_new else ks.force_new
        return sorted((set(names) - ks.computed - _NOT_COMPARED) | {SECRETS_DIGEST})

    def _known_id(self, ref: str, image_hash: str | None) -> str | None:
        """The id behind an ``<address>.id`` reference when this plan does not change it."""
        if not ref.endswith(".id"):
            return None
        addr = ref[: -len(".id")]
        if addr in self.new_ids:
            return None
        kind = Address.parse(addr).kind
        r = self.by_key.get((addr, image_hash if kind in (Kind.IMAGE, Kind.COPY, Kind.SHARE) else None))
        return r.id if r else None

    def _resolve(self, value: Any, image_hash: str | None) -> tuple[Any, bool]:
        """Fill in markers whose ids are known; say whether any remain unknown."""
        if isinstance(value, str) and unknown.has_markers(value):
            missing = False

            def sub(ref: str) -> str:
                nonlocal missing
                known = self._known_id(ref, image_hash)
                if known is None:
                    missing = True
                    return unknown.marker(ref)
                return known

            return unknown.substitute(value, sub), missing
        return value, False

    def _resolved_attrs(self, node: Desired) -> tuple[dict[str, Any], list[str]]:
        attrs: dict[str, Any] = {}
        unknown_attrs: list[str] = []
        for k, v in node.attrs.items():
            attrs[k], missing = self._resolve(v, node.image_hash)
            if missing:
                unknown_attrs.append(k)
        return attrs, unknown_attrs

    def _eta(self, address: str) -> float | None:
        return self.durations.get(address)

    def _noop(self, node: Desired, attrs: dict[str, Any], unknown_attrs: list[str]) -> Change:
        """The change for ``node`` before any decision: a no-op with the desired side filled in."""
        return Change(
            address=node.address,
            kind=node.kind,
            action=Action.NOOP,
            provider=node.provider,
            template=node.template,
            image_hash=node.image_hash,
            after=attrs,
            after_unknown=sorted(unknown_attrs),
            depends_on=list(node.deps),
            eta_s=self._eta(node.address),
        )

    @staticmethod
    def _resume(change: Change, what: str = "this in progress") -> None:
        change.action = Action.RESUME
        change.reasons = [f"an interrupted apply left {what}: it will be adopted, not started again"]

    def _add(self, change: Change) -> None:
        self.changes[change.key] = change

    # -- desired side ----------------------------------------------------------------------
    def run(self) -> DiffResult:
        if not self.opts.destroy and not self.opts.refresh_only:
            for addr in self.graph.order():
                node = self.graph.nodes[addr]
                if node.kind is Kind.COMPONENT:
                    self._component(node)
                elif node.kind is Kind.TEMPLATE:
                    self._template(node)
                elif node.kind is Kind.IMAGE:
                    self._image(node)
                else:
                    self._distribution(node)
        self._deletions()
        changes = self._forget(self._filter_targets(list(self.changes.values())))
        changes.sort(key=lambda c: (Address.parse(c.address).sort_key(), c.retained, c.image_hash or ""))
        return DiffResult(changes, dict(sorted(self.current_after.items())), self.diags)

    def _component(self, node: Desired) -> None:
        prior = self.by_key.get((node.address, None))
        attrs = dict(node.attrs)
        managed = attrs.get("version") is None
        if managed:
            same = prior is not None and not any(
                _differs(prior.attributes.get(k), self.opts.mask(attrs.get(k))) for k in self._compared(node) if k != "version"
            )
            attrs["version"] = prior.attributes.get("version") if (prior and same) else bump_patch(
                prior.attributes.get("version") if prior else None
            )
        mask = self.opts.mask
        # A version imgb numbers itself changes because something else did: not a reason of its own.
        diffs = [
            k
            for k in self._compared(node)
            if prior is not None and not (managed and k == "version") and _differs(prior.attributes.get(k), mask(attrs.get(k)))
        ]
        if prior is not None and not managed and {"content", SECRETS_DIGEST} & set(diffs) and "version" not in diffs:
            self.diags.error(
                "Component content changed without a new version",
                f"The content of {node.address} changed but its version is still {attrs['version']}. "
                "Image Builder never reuses a name and version for different content "
                "(InvalidComponentVersion.Exist). Raise the version, or remove the version attribute "
                "to let imgb number versions itself.",
                node.pos,
                node.address,
            )
        self._simple(node, prior, attrs, [], diffs)

    def _template(self, node: Desired) -> None:
        prior = self.by_key.get((node.address, None))
        attrs, unknown_attrs = self._resolved_attrs(node)
        reasons: list[str] = []
        diffs: list[str] = []
        if prior is not None:
            for k in self._compared(node):
                if k in unknown_attrs:
                    diffs.append(k)
                    for ref in unknown.refs_in(node.attrs[k]):
                        dep = ref[: -len(".id")]
                        note = f"{dep} will be replaced"
                        if dep in self.new_ids and note not in reasons:
                            reasons.append(note)
                elif _differs(prior.attributes.get(k), self.opts.mask(attrs.get(k))):
                    diffs.append(k)
        self._simple(node, prior, attrs, unknown_attrs, diffs, reasons)

    def _simple(
        self,
        node: Desired,
        prior: ResourceState | None,
        attrs: dict[str, Any],
        unknown_attrs: list[str],
        diffs: list[str],
        reasons: Iterable[str] = (),
    ) -> None:
        change = self._noop(node, attrs, unknown_attrs)
        if (node.address, None) in self.ops:
            self._resume(change)
            self.new_ids.add(node.address)
        elif prior is None:
            change.action = Action.CREATE
            note = self.opts.drift.get((node.address, None))
            change.reasons = [note] if note else []
            self.new_ids.add(node.address)
        else:
            change.before = dict(prior.attributes)
            change.prior_id = prior.id
            forced = node.address in self.opts.replace
            if diffs or forced:
                change.action = Action.REPLACE
                change.create_before_destroy = self._kind_schema(node).create_before_destroy
                change.replace_paths = sorted(diffs)
                change.reasons = list(reasons) + [_changed(k) for k in sorted(diffs) if k not in unknown_attrs]
                if forced:
                    change.reasons.append("replacement requested with --replace")
                self.new_ids.add(node.address)
        self._add(change)

    def _image(self, node: Desired) -> None:
        assert node.template is not None and node.image_hash is not None
        h = node.image_hash
        tmpl = node.template
        self.current_after[tmpl] = h
        current_hash = self.state.current.get(tmpl)
        prior = self.by_key.get((node.address, h))
        attrs, unknown_attrs = self._resolved_attrs(node)
        attrs["hash_inputs"] = dict(node.hash_inputs)
        change = self._noop(node, attrs, unknown_attrs)
        if prior is not None:
            change.before = dict(prior.attributes)
            change.prior_id = prior.id
        if (node.address, h) in self.ops:
            self._resume(change, "this build running")
            self.new_ids.add(node.address)
        elif prior is not None and node.address in self.opts.replace:
            change.action = Action.REPLACE
            change.reasons = ["rebuild requested with --replace"]
            self.new_ids.add(node.address)
        elif prior is not None and prior.status == TEST_FAILED:
            # Never distributed nor made current; building the same inputs again would fail the same way.
            self.test_failed[tmpl] = h
            self.current_after[tmpl] = current_hash
            in_service = f"{tmpl} stays on the image in service ({current_hash[:8]})" if current_hash else (
                f"{tmpl} has no image in service"
            )
            self.diags.warning(
                TEST_FAILED_WARNING,
                f"{node.address} failed its tests at {prior.created_at or 'an earlier apply'} (image {prior.id}): it is "
                f"kept for its logs (imgb logs {node.address}) but never copied, shared or made current, and "
                f"{in_service}. To go on, change the build or test content, or rebuild it as it is with "
                f"--replace {node.address}.",
                node.pos,
                node.address,
            )
        elif prior is not None and current_hash == h:
            pass
        elif prior is not None:
            change.action = Action.REUSE
            when = prior.created_at or "earlier"
            if "hash_inputs" not in prior.attributes:  # recorded by adoption, which knows no plan
                change.reasons = [f"an interrupted apply finished building {prior.id}: it is made current, no build"]
            elif h in self.state.last_in_service(tmpl):
                change.reasons = [f"rollback: the content matches retained image {prior.id} (built {when}); no build"]
            else:
                change.reasons = [
                    f"an earlier apply built {prior.id} ({when}) but did not distribute it everywhere: it is "
                    "distributed and made current, no build"
                ]
        else:
            change.action = Action.CREATE
            old = self.by_key.get((node.address, current_hash)) if current_hash else None
            note = self.opts.drift.get((node.address, h))
            failure = self.state.failures.get(tmpl)
            if note:
                change.reasons = [note]
            elif failure is not None and failure.hash == h:
                change.reasons = [
                    f"the build of this content failed at {failure.at} ({failure.code}; imgb logs {node.address} "
                    "shows why): it is built again"
                ]
            elif old is not None:
                old_inputs = old.attributes.get("hash_inputs") or {}
                change.reasons = hashing.explain(old_inputs, node.hash_inputs, node.base_label or "")
                change.reasons = change.reasons or ["content hash changed"]
            else:
                change.reasons = ["no image has been built from this content yet"]
            self.new_ids.add(node.address)
        self._add(change)

    def _distribution(self, node: Desired) -> None:
        assert node.template is not None and node.image_hash is not None
        if self.test_failed.get(node.template) == node.image_hash:
            # An image that failed its tests is never copied or shared; the one that stays in
            # service goes where the configuration asks instead (a region or account added).
            serving = self.current_after.get(node.template)
            if serving is None or (str(Address.image(Address.parse(node.template))), serving) not in self.by_key:
                return
            node = self._for_generation(node, serving)
        h = node.image_hash
        assert h is not None
        prior = self.by_key.get((node.address, h))
        attrs, unknown_attrs = self._resolved_attrs(node)
        change = self._noop(node, attrs, unknown_attrs)
        if (node.address, h) in self.ops:
            self._resume(change)
        elif prior is not None:
            change.before = dict(prior.attributes)
            change.prior_id = prior.id
            # A rebuilt image (or copy) of the same hash has a new id: what was copied or shared
            # from the old one is made again from the new one.
            replaced = [d for d in node.deps if d in self.new_ids]
            stale = node.kind is Kind.SHARE and not replaced and self._shares_a_superseded_object(prior)
            if replaced or stale or node.address in self.opts.replace:
                # The new one is made first (state keeps the old one as deposed meanwhile): an
                # account never goes without it (docs/lifecycle.md, I1).
                change.action = Action.REPLACE
                change.reasons = [f"{d} will be replaced" for d in replaced] or (
                    [f"it shares {prior.id.rpartition('/')[0]}, which an interrupted apply replaced"] if stale
                    else ["replacement requested with --replace"])
        else:
            change.action = Action.CREATE
            note = self.opts.drift.get((node.address, h))
            had_before = bool(self.generations.get(node.address, set()) - {h})
            if note:
                change.reasons = [note]
            elif had_before:
                change.reasons = ["the image changed: the new image is distributed here too"]
            elif node.kind is Kind.COPY:
                change.reasons = [f"region {attrs['region']} is a distribution target of {node.template}"]
            else:
                change.reasons = [f"account {attrs['account']} in {attrs['region']} is a distribution target"]
        if change.action is not Action.NOOP:
            self.new_ids.add(node.address)
        self._add(change)

    def _for_generation(self, node: Desired, image_hash: str) -> Desired:
        """``node`` (a copy or share) for another generation of its template: named as that
        generation's image is."""
        attrs = dict(node.attrs)
        if node.kind is Kind.COPY:
            image = self.by_key[(node.deps[0], image_hash)]
            attrs["content_hash"] = image_hash
            attrs["image_name"] = image.attributes.get("image_name", attrs["image_name"])
        return replace(node, attrs=attrs, image_hash=image_hash)

    def _shares_a_superseded_object(self, share: ResourceState) -> bool:
        """A share recorded for an image or copy that was replaced (it is deposed, and this plan
        deletes it): deleting that object takes the share with it."""
        return share.id.rpartition("/")[0] in self.deposed_ids

    # -- state side: what goes away --------------------------------------------------------
    def _deletions(self) -> None:
        if self.opts.refresh_only:
            return
        desired = self.graph.nodes if not self.opts.destroy else {}
        live_templates = {a for a, n in desired.items() if n.kind is Kind.TEMPLATE}
        generations: dict[str, dict[str, bool]] = {}
        """Template -> content hash -> whether its image failed its tests."""
        for r in self.state.resources:
            if r.template and r.image_hash and r.status != DEPOSED:
                gens = generations.setdefault(r.template, {})
                gens[r.image_hash] = gens.get(r.image_hash, False) or r.status == TEST_FAILED
        pruned = {
            (tmpl, h): why for tmpl in sorted(live_templates) for h, why in self._pruned(tmpl, generations.get(tmpl, {})).items()
        }

        to_delete: list[tuple[ResourceState, str]] = []
        for r in self.state.resources:
            if r.key in self.changes:
                continue
            if r.status == DEPOSED:
                to_delete.append((r, "superseded by its replacement; the apply that replaced it did not delete it: it stopped early, or a build it waited for did not succeed"))
                continue
            if r.kind in (Kind.COMPONENT, Kind.TEMPLATE):
                if r.address not in desired:
                    to_delete.append((r, "no longer in the configuration" if not self.opts.destroy else "destroy"))
                continue
            tmpl = r.template or ""
            if self.opts.destroy:
                to_delete.append((r, "destroy"))
            elif tmpl not in live_templates:
                to_delete.append((r, f"{tmpl} is no longer in the configuration"))
            elif (tmpl, r.image_hash or "") in pruned:
                to_delete.append((r, pruned[(tmpl, r.image_hash or "")]))
            elif r.kind is Kind.SHARE and self._shares_a_superseded_object(r):
                to_delete.append((r, f"it shares {r.id.rpartition('/')[0]}, which an interrupted apply replaced and this plan deletes"))
            elif r.kind in (Kind.COPY, Kind.SHARE) and r.address not in desired:
                what = "region" if r.kind is Kind.COPY else "account"
                to_delete.append((r, f"this {what} is no longer a distribution target"))

        for r, why in to_delete:
            retained = r.status != DEPOSED and r.image_hash is not None and r.image_hash != self.state.current.get(r.template or "")
            self._add(
                Change(
                    address=r.address,
                    kind=r.kind,
                    action=Action.DELETE,
                    provider=r.provider,
                    template=r.template,
                    image_hash=r.image_hash,
                    retained=retained,
                    reasons=[why],
                    before=dict(r.attributes),
                    prior_id=r.id,
                    depends_on=list(r.dependencies),
                )
            )
        for tmpl in sorted(set(self.state.current) - live_templates):
            self.current_after[tmpl] = None

    def _retain(self, template: str) -> int:
        retain = self.graph.nodes[template].retain
        assert retain is not None, template
        return retain

    # -- objects found gone ------------------------------------------------------------------
    def _forget(self, changes: list[Change]) -> list[Change]:
        """Objects refresh found gone and that this plan does not make again leave the state."""
        if not self.opts.drift:
            return changes
        remade = {c.key for c in changes if c.action is not Action.NOOP}
        prior = self.prior.index()
        forgotten = {key for key in self.opts.drift if key not in remade and key in prior}
        changes = [c for c in changes if c.key not in forgotten]
        for key in sorted(forgotten, key=lambda k: (k[0], k[1] or "")):
            r = prior[key]
            changes.append(
                Change(
                    address=r.address,
                    kind=r.kind,
                    action=Action.FORGET,
                    provider=r.provider,
                    template=r.template,
                    image_hash=r.image_hash,
                    retained=not self.prior.is_current(r),
                    reasons=[self.opts.drift[key]],
                    before=dict(r.attributes),
                    prior_id=r.id,
                )
            )
        return changes

    def _pruned(self, tmpl: str, generations: Mapping[str, bool]) -> dict[str, str]:
        """The generations of a live template that go, each with the reason (docs/lifecycle.md).

        ``retain = N`` keeps the generation this plan leaves in service and the N - 1 others most
        recently in service, the one in service now first. A generation never in service (its
        tests failed, or its distribution never finished) takes no slot and goes once superseded;
        the desired one is kept, and so is an image that failed its tests while it is desired."""
        keep = self._retain(tmpl)
        after = self.current_after.get(tmpl)
        now = self.state.current.get(tmpl)
        left_service = self.state.last_in_service(tmpl)
        if now is not None:
            left_service[now] = "~"  # in service until the plan's generation replaces it
        kept = {h for h in (after, self.test_failed.get(tmpl)) if h}
        ranked = sorted((h for h in generations if h in left_service and h not in kept), key=lambda h: (left_service[h], h), reverse=True)
        slots = keep - (1 if after else 0)
        out: dict[str, str] = {}
        for h in ranked[max(slots, 0) :]:
            since = left_service[h]
            when = "replaced once the new image is in service" if since == "~" else (
                f"out of service since {since}" if since else "out of service"
            )
            out[h] = f"beyond retain = {keep} for {tmpl}: {when}"
        for h in sorted(set(generations) - kept - set(ranked)):
            out[h] = "failed its tests and is superseded" if generations[h] else "never in service, and superseded"
        return out

    # -- --target ----------------------------------------------------------------------------
    def _filter_targets(self, changes: list[Change]) -> list[Change]:
        if not self.opts.targets:
            return changes
        wanted: set[str] = set()
        g = self.graph.graph
        for t in self.opts.targets:
            matches = {a for a in g.nodes if a == t or a.startswith(t + "[")}
            matches |= {c.address for c in changes if c.address == t or c.address.startswith(t + "[")}
            for m in matches:
                wanted.add(m)
                if m in g:
                    wanted |= g.ancestors(m)
        # Deleting a target deletes what depends on it too (a share goes with its copy).
        deleted = {c.address for c in changes if c.action is Action.DELETE and c.address in wanted}
        grew = True
        while grew:
            grew = False
            for c in changes:
                if c.action is Action.DELETE and c.address not in deleted and deleted.intersection(c.depends_on):
                    deleted.add(c.address)
                    wanted.add(c.address)
                    grew = True
        kept = [c for c in changes if c.address in wanted]
        # current_after only moves for targeted images
        targeted_templates = {c.template for c in kept if c.kind is Kind.IMAGE}
        self.current_after = {t: h for t, h in self.current_after.items() if t in targeted_templates}
        return kept


@gc_paused()  # many small objects, no cycles: the collector would only rescan what is alive (a quarter of a plan)
def diff(graph: ResourceGraph, state: State, options: DiffOptions | None = None) -> DiffResult:
    return _Differ(graph, state, options or DiffOptions()).run()
