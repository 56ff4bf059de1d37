"""docs/lifecycle.md's invariants, checked against the real world (the local store or the API
emulator), with imgb's state only as the claim being checked.

``check_step`` runs after every step that ran an apply (completed, failed, killed or interrupted);
``check_converged`` after an apply that succeeded. Each returns the problems found (empty: none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from imgb.state.model import State
from tests.lifecycle.clouds import Img, Inventory
from tests.lifecycle.site import Flavor, Spec, TemplateSpec


@dataclass
class Observation:
    state: State
    images: list[Img]


@dataclass
class History:
    """The model's own record of what went into service, per template, in order (repeats for
    rollbacks): what ``retain`` must keep is computed from it, not from state's record."""

    promoted: dict[str, list[str]] = field(default_factory=dict)

    def note(self, template: str, image_hash: str) -> None:
        seq = self.promoted.setdefault(template, [])
        if not seq or seq[-1] != image_hash:
            seq.append(image_hash)

    def drop(self, template: str, image_hash: str) -> None:
        """The world lost every object of this generation (deleted behind imgb's back): it is
        no longer one of those in service before, for imgb or for the model."""
        seq = [h for h in self.promoted.get(template, []) if h != image_hash]
        self.promoted[template] = [h for i, h in enumerate(seq) if i == 0 or seq[i - 1] != h]

    def most_recent(self, template: str, n: int) -> list[str]:
        """The ``n`` generations most recently in service, the one in service first."""
        seen: list[str] = []
        for h in reversed(self.promoted.get(template, [])):
            if h not in seen:
                seen.append(h)
        return seen[:n]


def targeted(t: TemplateSpec, flavor: Flavor, region: str, account: str) -> bool:
    if account not in t.accounts:
        return False
    return region in t.regions if t.regions else region == flavor.home


def targets(t: TemplateSpec, flavor: Flavor) -> set[tuple[str, str]]:
    regions = list(t.regions) or [flavor.home]
    return {(r, a) for r in regions for a in t.accounts}


def _usable(images: Iterable[Img], image_hash: str, region: str) -> list[Img]:
    return [i for i in images if i.hash == image_hash and i.region == region and i.usable and not i.test_failed]


def served(obs: Observation, template: str) -> dict[tuple[str, str], str]:
    """(region, account) -> image id, for every account the template's image in service is shared with."""
    h = obs.state.current.get(template)
    if h is None:
        return {}
    return {(i.region, a): i.id for i in obs.images if i.hash == h and i.usable for a in i.shared}


def complete(images: list[Img], image_hash: str, t: TemplateSpec, flavor: Flavor) -> list[str]:
    """What the generation lacks of what the configuration asks (I1: nothing, to be in service)."""
    missing = []
    if not _usable(images, image_hash, flavor.home):
        missing.append(f"no usable image in {flavor.home}")
    for r in t.regions:
        if r != flavor.home and not _usable(images, image_hash, r):
            missing.append(f"no copy in {r}")
    for r, a in sorted(targets(t, flavor)):
        if not any(a in i.shared for i in _usable(images, image_hash, r)):
            missing.append(f"not shared with {a} in {r}")
    return missing


def check_step(before: Observation, after: Observation, spec: Spec, flavor: Flavor, *, world_changed: bool = False) -> list[str]:
    """I1, I2 and I4 after any apply, whatever its outcome."""
    problems: list[str] = []
    for t_addr, h in sorted(after.state.current.items()):
        name = t_addr.split(".", 1)[1]
        # I2: state never names as current an image that does not exist.
        if not _usable(after.images, h, flavor.home) and not world_changed:
            problems.append(f"I2: state names {h[:8]} as current for {t_addr}, but no usable image of it exists in {flavor.home}")
        # I1: a generation goes into service only whole.
        if before.state.current.get(t_addr) != h and name in spec.templates:
            for m in complete(after.images, h, spec.templates[name], flavor):
                problems.append(f"I1: {t_addr} went into service with {h[:8]}, which has {m}")
    for t_addr in sorted(before.state.current):
        name = t_addr.split(".", 1)[1]
        if name not in spec.templates:
            continue
        keep = {before.state.current[t_addr], after.state.current.get(t_addr)}
        for (region, account), iid in sorted(served(before, t_addr).items()):
            if not targeted(spec.templates[name], flavor, region, account):
                continue  # the configuration took this account or region away on purpose
            still = [i for i in after.images if i.region == region and i.hash in keep and i.usable and account in i.shared]
            if not still:
                problems.append(
                    f"I2: account {account} in {region} had {t_addr}'s image in service {iid} "
                    f"({before.state.current[t_addr][:8]}); after the apply it has no image of {t_addr} in service"
                )
    # I4: an image that failed its tests is never copied, shared or made current.
    for i in after.images:
        if not i.test_failed:
            continue
        if i.shared:
            problems.append(f"I4: {i.id} failed its tests but is shared with {sorted(i.shared)}")
        copies = [c.region for c in after.images if c.hash == i.hash and c.region != i.region]
        if copies:
            problems.append(f"I4: {i.id} failed its tests but was copied to {copies}")
        if i.hash in after.state.current.values():
            problems.append(f"I4: {i.id} failed its tests but state names it current")
    return problems


def check_converged(
    obs: Observation, inventory: Inventory, spec: Spec, flavor: Flavor, history: History,
    desired: Mapping[str, str], test_failed: Mapping[str, str], owners: Mapping[str, str], lost: set[str],
) -> list[str]:
    """After an apply that succeeded: I3 against the model's own history, and I5 (state is the
    world exactly: nothing to forget, nothing untracked)."""
    problems: list[str] = []
    st = obs.state
    for name, t in sorted(spec.templates.items()):
        t_addr = f"template.{name}"
        cur = st.current.get(t_addr)
        want = desired.get(t_addr)
        if t_addr in test_failed:
            if test_failed[t_addr] != want:
                problems.append(f"I4: {t_addr} wants {(want or '')[:8]} but {test_failed[t_addr][:8]} failed its tests")
        elif cur != want:
            problems.append(f"after a successful apply {t_addr} is on {(cur or 'nothing')[:8]}, not {(want or '')[:8]}")
            continue
        # A generation whose home image was deleted behind imgb's back keeps its slot while its
        # copies are there, but has no home image to find.
        # With nothing in service (its image was lost, and the desired one failed its tests) retain
        # still keeps the ones most recently in service.
        kept = set(history.most_recent(t_addr, t.retain)) - lost
        have = {i.hash for i in obs.images if owners.get(i.hash) == t_addr and i.region == flavor.home and not i.test_failed}
        if have != kept:
            problems.append(
                f"I3: {t_addr} (retain = {t.retain}) keeps {sorted(h[:8] for h in have)}; the {t.retain} most recently in "
                f"service are {[h[:8] for h in history.most_recent(t_addr, t.retain)]}"
            )
        failed = {i.hash for i in obs.images if owners.get(i.hash) == t_addr and i.test_failed}
        if failed - {test_failed.get(t_addr)}:
            problems.append(f"{t_addr} keeps images that failed their tests and are superseded: {sorted(h[:8] for h in failed)}")
        if cur:
            for m in complete(obs.images, cur, t, flavor):
                problems.append(f"after a successful apply, {t_addr}'s image in service {cur[:8]} has {m}")
        for i in obs.images:
            if owners.get(i.hash) != t_addr:
                continue
            if i.region != flavor.home and i.region not in t.regions:
                problems.append(f"{t_addr}: {i.id} ({i.hash[:8]}) is in {i.region}, no longer a distribution target")
            for a in sorted(i.shared):
                if not targeted(t, flavor, i.region, a):
                    problems.append(f"{t_addr}: {i.id} ({i.hash[:8]}) is still shared with {a} in {i.region}")
    unknown = sorted({i.hash[:8] for i in obs.images if i.hash not in owners})
    if unknown:
        problems.append(f"images of content imgb never planned are in the cloud: {unknown}")
    problems += state_matches(st, inventory)
    return problems


def state_matches(st: State, inv: Inventory) -> list[str]:
    """I5: every object in state exists, and every object the cloud holds is in state."""
    problems: list[str] = []
    comps = {r.id for r in st.resources if r.kind == "component"}
    tmpls = {r.id for r in st.resources if r.kind == "template"}
    images = {(str(r.attributes.get("region") or ""), r.id) for r in st.resources if r.kind in ("image", "copy")}
    shares = set()
    for r in st.resources:
        if r.kind == "share":
            iid, _, account = r.id.rpartition("/")
            shares.add((str(r.attributes.get("region") or ""), iid, account))
    for what, ours, theirs in (("component", comps, inv.components), ("template", tmpls, inv.templates),
                               ("image", images, inv.images), ("share", shares, inv.shares)):
        for x in sorted(ours - theirs, key=str):
            problems.append(f"I5: state holds {what} {x}, which the cloud does not have")
        for x in sorted(theirs - ours, key=str):
            problems.append(f"I5: the cloud holds {what} {x}, which state does not record")
    if st.operations:
        problems.append(f"I5: operations left in flight: {[o.address for o in st.operations]}")
    deposed = [r.address for r in st.resources if r.status == "deposed"]
    if deposed:
        problems.append(f"I5: deposed objects left in state: {deposed}")
    return problems
