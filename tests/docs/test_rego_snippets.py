"""Every ```rego snippet of the docs compiles, its tests pass as ``imgb policy test`` runs them, and
the example rules decide what the text around them says they decide."""

from __future__ import annotations

from typing import Any

from imgb.reconciler.guardrails.policy import evaluate
from imgb.reconciler.guardrails.policy_tests import run
from imgb.reconciler.guardrails.rego import Module
from tests.docs.fences import all_fences

REGO = [f for f in all_fences() if f.info == "rego"]
MODULES = [Module(f"{f.doc}:{f.line}", f.text) for f in REGO]


def _rules(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    policies = [m for m in MODULES if not (m.package or "").endswith("_test")]
    return {(v.rule, v.package, v.message) for v in evaluate(policies, document)}


def test_the_docs_have_rego_snippets() -> None:
    assert len(REGO) >= 3, [f.id for f in REGO]


def test_every_snippet_test_passes() -> None:
    outcomes = run(MODULES)
    assert outcomes, "no test_ rules found in the docs' rego snippets"
    assert [(o.name, o.status, o.message) for o in outcomes if o.status != "PASS"] == []


def test_the_budget_rule_denies_a_large_run_rate_change_only() -> None:
    small: dict[str, Any] = {"cost": {"monthly_change": 10, "complete": True, "notes": []}, "resource_changes": []}
    large = {**small, "cost": {**small["cost"], "monthly_change": 1000}}
    assert not any(r[1] == "imgb.budget" for r in _rules(small))
    assert ("deny", "imgb.budget", "this change adds more than 100 per month of image storage") in _rules(large)


def test_the_review_rules_warn_on_incomplete_cost_and_deny_untested_templates() -> None:
    change = {"address": "template.web", "kind": "template", "action": "create", "after": {"test_content": ""}}
    doc: dict[str, Any] = {"cost": {"monthly_change": 0, "complete": False, "notes": ["a", "b"]}, "resource_changes": [change]}
    found = {(r[0], r[2]) for r in _rules(doc) if r[1] == "imgb.rules"}
    assert found == {("warn", "the cost estimate is incomplete: 2 price(s) or size(s) unknown"),
                     ("deny", "template.web has no test content")}, found
    tested = {**doc, "cost": {**doc["cost"], "complete": True},
              "resource_changes": [{**change, "after": {"test_content": "RUN true"}}]}
    assert not any(r[1] == "imgb.rules" for r in _rules(tested))
