"""Output values, evaluated after apply against what state now holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.addresses import Kind
from reconciler.config.eval import Context, EvalError, Evaluator
from reconciler.config.model import Config
from reconciler.config.unknown import Unknown
from reconciler.diagnostics import SourcePos
from state.model import OutputState, State


def _instances(config_blocks: dict[str, Any], name: str) -> dict[str | None, str]:
    """for_each key (or None) -> address, for the blocks named ``name``."""
    out: dict[str | None, str] = {}
    for addr, block in config_blocks.items():
        if block.name == name:
            out[block.key] = addr
    return out


def _template_value(config: Config, state: State, addr: str) -> dict[str, Any]:
    """{id, name, image_ids}: image_ids maps region -> id of the current image there."""
    home = config.providers[config.templates[addr].provider].region
    h = state.current.get(addr)
    image_ids: dict[str, str] = {}
    for r in state.resources:
        if r.template == addr and r.image_hash == h and r.status == "ok":
            if r.kind is Kind.IMAGE:
                image_ids[home] = r.id
            elif r.kind is Kind.COPY:
                image_ids[str(r.attributes.get("region"))] = r.id
    t = state.get(addr)
    return {"id": t.id if t else None, "name": config.templates[addr].name, "image_ids": dict(sorted(image_ids.items()))}


def evaluate_outputs(config: Config, state: State) -> dict[str, OutputState]:
    def value_of(namespace: str, name: str, pos: SourcePos) -> Any:
        if namespace == "var":
            return config.variables[name].value
        if namespace == "local":
            return config.locals[name]
        if namespace == "path":
            return "."
        blocks: Any = {
            "template": config.templates,
            "component": config.components,
            "distribution": config.distributions,
        }[namespace]
        inst = _instances(blocks, name)
        if not inst:
            raise EvalError("Reference to undeclared resource", f"There is no {namespace} named {name!r}.", pos)

        def one(addr: str) -> Any:
            if namespace == "template":
                return _template_value(config, state, addr)
            if namespace == "component":
                r = state.get(addr)
                return {"id": r.id if r else Unknown(f"{addr}.id"), "name": name, "version": (r.attributes.get("version") if r else None)}
            d = config.distributions[addr]
            return {"regions": list(d.regions), "accounts": list(d.accounts), "address": addr}

        if list(inst) == [None]:
            return one(inst[None])
        return {k: one(a) for k, a in sorted(inst.items(), key=lambda kv: kv[0] or "")}

    ev = Evaluator(Context(directory=Path(config.directory), resolve=value_of))
    out: dict[str, OutputState] = {}
    for name, o in sorted(config.outputs.items()):
        try:
            value = ev.eval(o.expression) if o.expression is not None else o.value
        except (EvalError, KeyError):
            value = None
        out[name] = OutputState(value=None if isinstance(value, Unknown) else value, sensitive=o.sensitive)
    return out
