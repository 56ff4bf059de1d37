"""Making a plan: the I/O around the pure differ.

    resolve base images ─▶ refresh state ─▶ build the graph ─▶ provider checks ─▶ diff ─▶ Plan
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgb import __version__, digests
from imgb.addresses import Kind
from imgb.diagnostics import Diagnostics
from imgb.fsops import read_inside
from imgb.providers.base import Provider, ProviderError
from imgb.reconciler import hashing, targeting
from imgb.reconciler.config.model import Config
from imgb.reconciler.differ import DiffOptions, diff
from imgb.reconciler.graph import build_graph
from imgb.reconciler.masking import Placeholders, make_masker, verifier
from imgb.reconciler.plan import Change, PinnedBase, Plan, Secret
from imgb.reconciler.refactor import Refactoring, after_graph, annotate, plan_refactoring
from imgb.state.model import ResourceState, State


@dataclass
class PlanOptions:
    """A plan's flags: mode, refresh, targets, replacements, parallelism."""

    destroy: bool = False
    refresh: bool = True
    refresh_only: bool = False
    targets: list[str] = field(default_factory=list)
    replace: list[str] = field(default_factory=list)
    parallelism: int = 10


def configuration_files(directory: Path, names: Iterable[str] | None = None) -> dict[str, str]:
    """The configuration files (``names``, or every ``*.imgb.hcl`` of ``directory``) -> sha256."""
    if names is None:
        names = sorted(p.name for p in directory.glob("*.imgb.hcl") if p.is_file())
    out: dict[str, str] = {}
    for name in names:
        try:
            # Below the directory, as the loader reads them: a link out of it is refused unread.
            out[name] = digests.sha256_hex(read_inside(directory, name))
        except OSError:
            out[name] = ""
    return out


def read_files(config: Config) -> dict[str, str]:
    """The files ``config`` reads -> sha256: through file(), templatefile() and filesha256, and
    the sources of every COPY."""
    contents = [(t.build, False) for t in config.templates.values()] + [(t.test, False) for t in config.templates.values()]
    contents += [(c.content, True) for c in config.components.values()]
    return dict(sorted({**config.file_digests, **hashing.copied_files(Path(config.directory), contents)}.items()))


def canonical(value: Any) -> str:
    """A variable's value as the text its verifier covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _hide_secrets(changes: list[Change], secrets: tuple[str, ...]) -> list[Secret]:
    """Mask every sensitive value the changes hold (plans are shown and saved); keep a copy of the
    values with each secret as a numbered placeholder for apply. Returns what fills them."""
    if not secrets:
        return []
    mask, placeholders = make_masker(secrets), Placeholders(secrets)
    for c in changes:
        c.before = mask(c.before)
        masked = mask(c.after)
        if masked != c.after:
            c.sensitive_after, c.after = placeholders(c.after), masked
    return [Secret(verifier=verifier(s), hint=secrets.index(s)) for s in placeholders.used]


def refresh(state: State, providers: Mapping[str, Provider], parallelism: int = 10) -> tuple[dict[tuple[str, str | None], str], Diagnostics]:
    """Ask the providers about every object in state. Returns a drift note for each object that
    is gone, and diagnostics for providers that could not answer."""
    diags = Diagnostics()
    gone: dict[tuple[str, str | None], str] = {}

    def read(r: ResourceState) -> tuple[ResourceState, bool | None, str]:
        p = providers.get(r.provider)
        if p is None:
            return r, None, f'provider "{r.provider}" is not configured'
        try:
            return r, p.read(r.kind, r.id, r.attributes) is not None, ""
        except ProviderError as e:
            return r, None, f"{e.code}: {e.message}"

    # Reads that wait (on a cloud API) run in parallel; the others (the local provider's) run here,
    # without starting threads (or importing concurrent.futures) for nothing to wait on.
    waiting = [r for r in state.resources if getattr(providers.get(r.provider), "reads_wait", True)]
    answers: dict[int, tuple[ResourceState, bool | None, str]] = {}
    if len(waiting) > 1 and parallelism > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=parallelism) as pool:
            answers = {id(r): answer for r, answer in zip(waiting, pool.map(read, waiting), strict=True)}
    results = [answers.get(id(r)) or read(r) for r in state.resources]
    for r, exists, err in results:
        if exists is False:
            what = "unshared" if r.kind is Kind.SHARE else "deleted"
            gone[r.key] = f"drift: {state.display_address(r)} ({r.id}) was {what} outside imgb"
        elif exists is None:
            diags.warning(
                "Could not refresh a resource",
                f"{state.display_address(r)} could not be read ({err}); the plan assumes it is unchanged.",
                address=r.address,
            )
    return gone, diags


def make_plan(
    config: Config | None,
    state: State,
    providers: Mapping[str, Provider],
    options: PlanOptions,
    *,
    state_existed: bool,
) -> tuple[Plan | None, Diagnostics]:
    diags = Diagnostics()
    drift: dict[tuple[str, str | None], str] = {}
    if options.refresh and state.resources:
        drift, rdiags = refresh(state, providers, options.parallelism)
        diags.extend(rdiags)
    refactoring = Refactoring(state=state)
    if config is not None and not options.refresh_only:
        refactoring = plan_refactoring(config, state, providers, make_masker(config.sensitive_values))
        diags.extend(refactoring.diagnostics)
        for address, object_id, _ in refactoring.unconfigured_imports:
            imp = next(i for i in config.imports if i.to_address == address)
            diags.error(
                "Configuration for import target does not exist",
                f"The import of {object_id} targets {address}, which is not declared. Add a "
                f"{address.split('.')[0]} block for it, or run imgb plan -generate-config-out=FILE to have imgb "
                "write one from the object.",
                imp.pos,
            )

    base_images: dict[str, str] = {}
    pinned: list[PinnedBase] = []
    if config is not None and not options.destroy and not options.refresh_only:
        for addr, tmpl in sorted(config.templates.items()):
            p = providers.get(tmpl.provider)
            if p is None:
                continue
            try:
                image_id = p.resolve_base_image(tmpl.base_image, tmpl.base_image_family)
            except ProviderError as e:
                which = "base_image_family" if tmpl.base_image_family else "base_image"
                if e.retryable:  # throttling, 5xx, a lost connection: not a wrong name
                    diags.error(
                        "Base image could not be looked up",
                        f'{addr} builds from {which} "{tmpl.base_image_family or tmpl.base_image}", and the '
                        f"{tmpl.provider} provider could not look it up in {p.region} ({e.code}: {e.message}): a "
                        "transient error that outlasted imgb's retries. Nothing was changed; run the command again.",
                        tmpl.attr_pos.get(which, tmpl.pos),
                        addr,
                    )
                    continue
                diags.error(
                    "Base image not found",
                    f'{addr} builds from {which} "{tmpl.base_image_family or tmpl.base_image}", which the '
                    f"{tmpl.provider} provider cannot find in {p.region} ({e.code}: {e.message}). Check the name, "
                    "or import the image first (imgb image import for the local provider).",
                    tmpl.attr_pos.get(which, tmpl.pos),
                    addr,
                )
                continue
            base_images[addr] = image_id
            pinned.append(PinnedBase(template=addr, image=tmpl.base_image, family=tmpl.base_image_family, image_id=image_id))

    graph_config = config if (config is not None and not options.destroy and not options.refresh_only) else None
    if graph_config is not None:
        graph, gdiags = build_graph(graph_config, base_images)
        diags.extend(gdiags)
        for node in graph.nodes.values():
            p = providers.get(node.provider)
            if p is not None and node.kind is not Kind.IMAGE:  # builds have nothing to check beyond their template
                diags.extend(p.check(node.kind, node.attrs, node.address))
    else:
        from imgb.reconciler.dag import Dag
        from imgb.reconciler.graph import ResourceGraph

        graph = ResourceGraph({}, Dag())
    if diags.has_errors():
        return None, diags
    if config is not None:
        diags.extend(after_graph(refactoring, config, graph.nodes.values()))

    in_state = {r.address for r in refactoring.state.resources}
    diags.extend(targeting.check_options(options.targets, options.replace, graph.nodes, in_state))
    if diags.has_errors():
        return None, diags
    opts = DiffOptions(
        destroy=options.destroy,
        refresh_only=options.refresh_only,
        targets=list(options.targets),
        replace=list(options.replace),
        drift=drift,
        mask=make_masker(config.sensitive_values if config else ()),
        schemas={key: p.schema() for key, p in providers.items()},
    )
    result = diff(graph, refactoring.state, opts)  # the state as moved, removed and import blocks leave it
    diags.extend(result.diagnostics)
    if diags.has_errors():
        return None, diags
    diags.extend(targeting.check_plan(options.targets, options.replace, {c.address for c in result.changes}, in_state))
    if diags.has_errors():
        return None, diags
    changes = annotate(list(result.changes), refactoring, {k: p.type for k, p in (config.providers.items() if config else [])})
    if refactoring.forgotten:
        diags.warning(
            "Some objects will no longer be managed by imgb",
            "If you apply this plan, imgb forgets these objects but does not delete them: "
            + ", ".join(sorted({c.address for c in refactoring.forgotten}))
            + ". To manage them again, import them (an import block, or imgb import).",
        )
    variables = config.variables if config else {}
    plan = Plan(
        imgb_version=__version__,
        mode="destroy" if options.destroy else "refresh-only" if options.refresh_only else "normal",
        prior_serial=state.serial if state_existed else None,
        prior_lineage=state.lineage if state_existed else None,
        prior_state_existed=state_existed,
        files=configuration_files(Path(config.directory), config.files) if config else {},
        read_files=read_files(config) if config else {},
        variables={n: v.value for n, v in sorted(variables.items()) if not v.sensitive},
        sensitive_variables={n: verifier(canonical(v.value)) for n, v in sorted(variables.items()) if v.sensitive},
        secrets=_hide_secrets(changes, config.sensitive_values if config else ()),
        pinned_bases=pinned,
        changes=sorted(changes, key=lambda c: (c.addr.sort_key(), c.retained, c.image_hash or "")),
        moves=refactoring.moves,
        rehashed=refactoring.rehashed,
        current_after=result.current_after,
        targets=list(options.targets),
        replace=list(options.replace),
        warnings=[d.to_json() for d in diags.sorted() if d.severity == "warning"],
        refreshed=options.refresh,
        drift=sorted({v for v in drift.values()}),
    )
    return plan, diags


