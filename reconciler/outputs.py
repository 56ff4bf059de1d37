"""Output values after apply: the ids state now holds, filled into each output's expression."""

from __future__ import annotations

from typing import Any

from imgb.addresses import Kind
from imgb.reconciler.config.model import Config
from imgb.reconciler.config.outputs import evaluate_output
from imgb.reconciler.masking import make_masker
from imgb.state.model import OutputState, State
from imgb.unknown import Unknown, has_markers


def known_values(config: Config, state: State) -> dict[str, Any]:
    """``{addr}.id`` for components and templates in state, ``{addr}.image_ids`` (region -> id of
    the current image there) for every template."""
    known: dict[str, Any] = {}
    index = state.index()  # state.get scans the list: once per block would be quadratic
    for addr in config.components:
        if (r := index.get((addr, None))) is not None:
            known[f"{addr}.id"] = r.id
    image_ids: dict[str, dict[str, str]] = {addr: {} for addr in config.templates}
    for r in state.resources:
        if r.template in image_ids and r.image_hash == state.current.get(r.template) and r.status == "ok":
            if r.kind is Kind.IMAGE:
                home = config.providers[config.templates[r.template].provider].region
                image_ids[r.template][home] = r.id
            elif r.kind is Kind.COPY:
                image_ids[r.template][str(r.attributes.get("region"))] = r.id
    for addr, ids in image_ids.items():
        if (t := index.get((addr, None))) is not None:
            known[f"{addr}.id"] = t.id
        known[f"{addr}.image_ids"] = dict(sorted(ids.items()))
    return known


def evaluate_outputs(config: Config, state: State) -> dict[str, OutputState]:
    known = known_values(config, state)
    mask = make_masker(config.sensitive_values)
    out: dict[str, OutputState] = {}
    for name, o in sorted(config.outputs.items()):
        if o.expression is None:
            value = o.value
        else:
            value, diags = evaluate_output(config, o, known)
            if diags.has_errors():
                value = None
        value = None if _has_unknown(value) else value
        # Outputs go to state: a sensitive value in one is masked there, and the output with it.
        masked = mask(value)
        out[name] = OutputState(value=masked, sensitive=o.sensitive or masked != value)
    return out


def _has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return has_markers(value)
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_unknown(v) for v in value)
    return False
