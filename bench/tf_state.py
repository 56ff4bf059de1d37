"""The state Terraform 1.11 writes after applying a generated configuration, without applying it.

Terraform's first apply is quadratic (it rewrites the whole state after every resource: more than
5 minutes at 5,000 resources), so plans at large sizes run against this synthesized state, as the
performance anchors did (gen_state.py). It equals a real applied state except for ids, lineage and
serial; ``tests/bench`` compares the two when terraform is installed.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from bench.generate import Ref, TfResource

PROVIDER = 'provider["terraform.io/builtin/terraform"]'


def _value(v: Any, outputs: dict[str, Any]) -> Any:
    if isinstance(v, Ref):
        out = outputs[v.name]
        return out[v.attr] if v.attr else out
    if isinstance(v, list):
        return [_value(x, outputs) for x in v]
    if isinstance(v, dict):
        return {k: _value(x, outputs) for k, x in sorted(v.items())}
    return v


def _type(v: Any) -> Any:
    """cty's JSON type of a value as Terraform stores it: strings, tuples and objects here."""
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return ["tuple", [_type(x) for x in v]]
    return ["object", {k: _type(x) for k, x in sorted(v.items())}]


def _refs(v: Any) -> list[str]:
    if isinstance(v, Ref):
        return [v.name]
    if isinstance(v, list):
        return [r for x in v for r in _refs(x)]
    if isinstance(v, dict):
        return [r for x in v.values() for r in _refs(x)]
    return []


def synthesize(resources: list[TfResource], seed: int = 0) -> bytes:
    """terraform.tfstate for ``resources`` (in dependency order, as the generator lists them)."""
    outputs: dict[str, Any] = {}
    deps: dict[str, set[str]] = {}
    instances: dict[str, dict[str, Any]] = {}
    ids = uuid.UUID(int=seed)
    for i, r in enumerate(resources):
        value = _value(r.input, outputs)
        outputs[r.name] = value
        # Terraform records transitive dependencies (every resource upstream), sorted as strings.
        direct = set(_refs(r.input))
        deps[r.name] = direct.union(*(deps[d] for d in direct)) if direct else set()
        typed = {"value": value, "type": _type(value)}
        inst: dict[str, Any] = {
            "schema_version": 0,
            "attributes": {
                "id": str(uuid.UUID(int=ids.int + i + 1)),
                "input": typed,
                "output": typed,
                "triggers_replace": None,
            },
            "sensitive_attributes": [],
        }
        if deps[r.name]:
            inst["dependencies"] = sorted(f"terraform_data.{d}" for d in deps[r.name])
        instances[r.name] = inst
    doc = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": len(resources) + 1,
        "lineage": str(uuid.UUID(int=seed + 1)),
        "outputs": {},
        "resources": [
            {"mode": "managed", "type": "terraform_data", "name": name, "provider": PROVIDER, "instances": [instances[name]]}
            for name in sorted(instances)
        ],
        "check_results": None,
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def normalized(state: bytes) -> Any:
    """A state without what differs between two applies of the same configuration."""
    doc = json.loads(state)
    for key in ("serial", "lineage", "terraform_version"):
        doc.pop(key, None)
    for r in doc["resources"]:
        for inst in r["instances"]:
            inst["attributes"]["id"] = "-"
    return doc
