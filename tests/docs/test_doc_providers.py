"""The RAM policy in docs/providers.md lists exactly the API actions the alicloud provider calls."""

from __future__ import annotations

import json
import re

from imgb.providers.alicloud.api import VPC_ACTIONS
from tests.docs.fences import ROOT, fences

# Every SDK call goes through EcsApi.call(region, "operation_name", request).
_CALL_RE = re.compile(r'_api\.call\(\s*[^,]+,\s*"([a-z_]+)"')


def _called_actions() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "providers" / "alicloud").glob("*.py"):
        names.update(_CALL_RE.findall(path.read_text(encoding="utf-8")))
    ecs = {"ecs:" + "".join(part.capitalize() for part in name.split("_")) for name in names}
    return ecs | set(VPC_ACTIONS)


def _policy_actions() -> set[str]:
    policies = [f for f in fences(ROOT / "docs" / "providers.md") if f.info == "json" and '"Statement"' in f.text]
    assert len(policies) == 1, "docs/providers.md should hold one RAM policy (a json block with a Statement)"
    doc = json.loads(policies[0].text)
    actions: set[str] = set()
    for statement in doc["Statement"]:
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def test_the_scan_finds_the_provider_calls() -> None:
    called = _called_actions()
    assert {"ecs:CreateImagePipeline", "ecs:StartImagePipelineExecution", "ecs:DeleteSnapshot",
            "vpc:DescribeVSwitches"} <= called


def test_ram_policy_lists_every_action_the_provider_calls() -> None:
    called = _called_actions()
    documented = _policy_actions() - {"ram:CreateServiceLinkedRole"}
    assert called - documented == set(), f"add to the RAM policy in docs/providers.md: {sorted(called - documented)}"
    assert documented - called == set(), f"the provider no longer calls: {sorted(documented - called)}"
