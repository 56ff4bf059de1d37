"""The plan as versioned JSON (documented in docs/plan-json.md)."""

from __future__ import annotations

import json
from typing import Any

from imgb import unknown
from imgb.reconciler.plan import Plan

FORMAT_VERSION = "1.1"
"""Plan JSON's own version (docs/plan-json.md): 1.1 added ``cost`` and ``resource_changes[].source``."""


def _clean(v: Any) -> Any:
    if isinstance(v, str):
        return unknown.display(v)
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def plan_document(plan: Plan) -> dict[str, Any]:
    counts = plan.counts()
    return {
        "format_version": FORMAT_VERSION,
        "imgb_version": plan.imgb_version,
        "mode": plan.mode,
        "prior_state": {"serial": plan.prior_serial, "lineage": plan.prior_lineage, "existed": plan.prior_state_existed},
        "resource_changes": [
            {
                "address": c.display_address,
                "kind": str(c.kind),
                "action": str(c.action),
                "provider": c.provider,
                "template": c.template,
                "image_hash": c.image_hash,
                "retained": c.retained,
                "reasons": c.reasons,
                "prior_id": c.prior_id,
                "before": _clean(c.before),
                "after": _clean(c.after),
                "after_unknown": c.after_unknown,
                "replace_paths": c.replace_paths,
                "depends_on": c.depends_on,
                # Only when a moved or import block is behind the change, as in Terraform's JSON.
                **({"previous_address": c.previous_address} if c.previous_address else {}),
                **({"importing": {"id": c.importing}} if c.importing else {}),
                "source": _source(plan, c.address),
            }
            for c in plan.changes
        ],
        **({"moves": [m.model_dump() for m in plan.moves]} if plan.moves else {}),
        "current_after": plan.current_after,
        "pinned_bases": [p.model_dump() for p in plan.pinned_bases],
        "drift": plan.drift,
        "summary": counts,
        "has_changes": bool(plan.actionable()),
        "warnings": plan.warnings,
        "cost": plan.cost.model_dump(mode="json") if plan.cost is not None else None,
    }


def _source(plan: Plan, address: str) -> dict[str, Any] | None:
    ref = plan.sources.get(address)
    if ref is None:
        return None
    pos = ref.pos()
    return {"filename": ref.filename, "line": pos.line, "block": ref.block, "block_line": ref.line,
            "attribute": ref.attribute if pos.line != ref.line else None}


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
