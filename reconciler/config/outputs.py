"""Outputs after apply: re-evaluate an output's expression with the ids apply produced.

At plan time ``Output.value`` holds ``Unknown`` where ids are not known yet. After apply the
caller knows them by reference (``component.nginx.id``, ``template.web["x"].image_ids``); this
evaluates the expression again against the loaded ``Config`` with those values filled in, so
``length(template.web.image_ids)`` is a number, not the map.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.diagnostics import Diagnostics, SourcePos, did_you_mean
from imgb.reconciler.config.eval import Context, EvalError, Evaluator
from imgb.reconciler.config.marks import strip
from imgb.reconciler.config.model import Component, Config, Distribution, Output, Template
from imgb.reconciler.config.values import INVALID, plain
from imgb.unknown import Unknown, has_markers, refs_in, substitute

_SKIP = {"pos", "attr_pos", "content_origin", "build_origin", "test_origin", "provider"}


def fill_unknowns(value: Any, known: Mapping[str, Any]) -> Any:
    """``value`` with every unknown (and every marker in text) whose reference is in ``known`` replaced."""
    if isinstance(value, Unknown):
        return known.get(value.ref, value)
    if isinstance(value, str) and has_markers(value):
        if all(ref in known for ref in refs_in(value)):
            return substitute(value, lambda ref: str(known[ref]))
        return value
    if isinstance(value, list | tuple):
        return [fill_unknowns(v, known) for v in value]
    if isinstance(value, dict):
        return {k: fill_unknowns(v, known) for k, v in value.items()}
    return value


def _object(model: Component | Template | Distribution, kind: str, known: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {f.name: getattr(model, f.name) for f in dataclasses.fields(model) if f.name not in _SKIP}
    for k, v in out.items():
        if isinstance(v, tuple):
            out[k] = list(v)
    out["address"] = model.address
    if kind == "template":
        out["distribute"] = [d.address for d in model.distribute]  # type: ignore[union-attr]
    if kind in ("component", "template"):
        out["id"] = Unknown(f"{model.address}.id")
    if kind == "template":
        out["image_ids"] = Unknown(f"{model.address}.image_ids")
    return dict(fill_unknowns(out, known))


def evaluate_output(config: Config, output: Output, known: Mapping[str, Any]) -> tuple[Any, Diagnostics]:
    """The output's value with ``known`` filled in; unknowns not in ``known`` stay ``Unknown``."""
    diags = Diagnostics()
    by_kind: dict[str, dict[str, Component | Template | Distribution]] = {
        "component": dict(config.components),
        "template": dict(config.templates),
        "distribution": dict(config.distributions),
    }

    def resolve(root: str, name: str, pos: SourcePos) -> Any:
        if root == "path":
            return "."
        if root == "imgb" and name == "workspace":
            return config.workspace
        if root == "var":
            if name in config.variables:
                return config.variables[name].value
        elif root == "local":
            if name in config.locals:
                return fill_unknowns(config.locals[name], known)
        else:
            models = [m for m in by_kind[root].values() if m.name == name]
            if models:
                if all(m.key is None for m in models):
                    return _object(models[0], root, known)
                return {m.key: _object(m, root, known) for m in sorted(models, key=lambda m: m.key or "")}
        names = {"var": config.variables, "local": config.locals}.get(root) or {
            m.name for m in by_kind.get(root, {}).values()
        }
        raise EvalError(
            f"Reference to undeclared {root}", f'"{root}.{name}" is not declared.{did_you_mean(name, names)}', pos, True
        )

    ev = Evaluator(Context(Path(config.directory), resolve))
    try:
        value = ev.eval(output.expression)
    except EvalError as exc:
        diags.add(exc.diagnostic(f"output.{output.name}"))
        return None, diags
    return (None if value is INVALID else plain(strip(value))), diags
