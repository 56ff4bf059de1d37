"""The guardrails' step of ``imgb plan``: where each change comes from, what the plan costs, and
what the policies say about it. Run on every plan made from a configuration (plan, and apply
without a saved plan), after the plan and before it is shown or saved."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.diagnostics import Diagnostic, Severity
from imgb.providers.base import Provider
from imgb.reconciler.config.model import Config
from imgb.reconciler.guardrails import POLICY_DIR
from imgb.reconciler.guardrails.cost import estimate
from imgb.reconciler.guardrails.positions import sources
from imgb.reconciler.guardrails.prices import PriceBook
from imgb.reconciler.plan import Plan
from imgb.state.model import State


def review(plan: Plan, config: Config, state: State, providers: Mapping[str, Provider], cache_dir: Path | None) -> list[Diagnostic]:
    """Fills in ``plan.sources`` and ``plan.cost``, adds the policies' warnings to the plan, and
    returns their denials (errors: the plan must not go on)."""
    plan.sources = sources(plan, config)
    if plan.mode != "refresh-only":
        book = PriceBook(providers, cache_dir)
        plan.cost = estimate(plan, state, config if plan.mode != "destroy" else None, book)
        book.save()
    directory = Path(config.directory)
    if config.policy_paths is None and not os.path.lexists(directory / POLICY_DIR):
        return []  # no policies (most configurations): nothing of them loads
    from imgb.reconciler.guardrails import policy

    found = policy.check(plan, lambda: _document(plan), directory, config.policy_paths)
    plan.warnings += [d.to_json() for d in found if d.severity is Severity.WARNING]
    return [d for d in found if d.severity is Severity.ERROR]


def _document(plan: Plan) -> dict[str, Any]:
    """The policies' input: the plan's JSON (docs/plan-json.md)."""
    from imgb.reconciler.views.plan_json import plan_document

    return plan_document(plan)
