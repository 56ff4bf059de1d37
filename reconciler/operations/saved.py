"""Applying a saved plan: refuse it when the world moved since it was made."""

from __future__ import annotations

from collections.abc import Mapping

from imgb.diagnostics import DiagnosticError, error
from imgb.reconciler.operations.plan import make_plan
from imgb.reconciler.operations.views import PlanView
from imgb.reconciler.plan import Plan
from imgb.reconciler.planner import PlanOptions, config_digest
from imgb.reconciler.project import Project
from imgb.state.model import State


def check(project: Project, saved: Plan, state: State, state_exists: bool, view: PlanView, parallelism: int) -> None:
    config, _ = project.load()
    bases: dict[str, str] = {}
    providers = project.providers()
    for p in saved.pinned_bases:
        tmpl = config.templates.get(p.template)
        if tmpl is not None and tmpl.provider in providers:
            try:
                bases[p.template] = providers[tmpl.provider].resolve_base_image(tmpl.base_image, tmpl.base_image_family)
            except Exception:
                pass
    reasons = stale_reasons(saved, state, state_exists, config_digest(config), bases)
    if reasons:
        raise DiagnosticError(
            error(
                "Saved plan is stale",
                "The given plan file can no longer be applied: " + "; ".join(reasons) + ". Run imgb plan again to make a new plan.",
            )
        )
    # The checksum catches damage, not intent: a plan edited and re-checksummed could delete, or
    # share with an account, what the configuration never asked for. Configuration, state and base
    # images are unchanged (checked just above), so planning again must give the same changes.
    fresh = make_plan(
        project,
        state,
        state_exists,
        PlanOptions(
            destroy=saved.mode == "destroy",
            refresh=saved.refreshed,
            refresh_only=saved.mode == "refresh-only",
            targets=list(saved.targets),
            replace=list(saved.replace),
            parallelism=parallelism,
        ),
        view,
    )
    if fresh.model_dump(mode="json") != saved.model_dump(mode="json"):
        raise DiagnosticError(
            error(
                "Saved plan does not match the configuration",
                "Planning again from the same configuration and state gives different changes: the plan "
                "file was edited after it was written, or objects changed outside imgb since. Run imgb plan "
                "again to make a new plan.",
            )
        )


def stale_reasons(plan: Plan, state: State, state_exists: bool, digest: str, bases: Mapping[str, str]) -> list[str]:
    reasons: list[str] = []
    if plan.prior_state_existed != state_exists:
        reasons.append(
            "the plan was made against an empty state, and the state has been written since"
            if not plan.prior_state_existed
            else "the state the plan was made against no longer exists"
        )
    elif state_exists and (plan.prior_serial != state.serial or plan.prior_lineage != state.lineage):
        reasons.append(
            f"the state changed after the plan was made (serial {plan.prior_serial} → {state.serial})"
            if plan.prior_lineage == state.lineage
            else "the state belongs to another lineage"
        )
    if plan.config_digest and plan.config_digest != digest:
        reasons.append("the configuration, a file it reads, or a variable value changed after the plan was made")
    for p in plan.pinned_bases:
        now = bases.get(p.template)
        if now is not None and now != p.image_id:
            what = f"base image family {p.family}" if p.family else f"base image {p.image}"
            reasons.append(f"{what} moved from {p.image_id} to {now}")
    return reasons
