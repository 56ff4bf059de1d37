"""The plan as versioned JSON (documented in docs/plan-json.md)."""

from __future__ import annotations

import json
from typing import Any

from imgb import unknown
from imgb.reconciler.plan import PLAN_FORMAT_VERSION, Plan


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
        "format_version": PLAN_FORMAT_VERSION,
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
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
