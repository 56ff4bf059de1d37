"""Where in the configuration each change of a plan comes from, so a policy violation about a
resource can be reported at the block (and attribute) that asked for it.

* a component or template: its block;
* an image: its template's block;
* a copy: the ``regions`` of the distribution that sends the image to that region;
* a share: the ``accounts`` of the distribution that names the account (for that region).
"""

from __future__ import annotations

from imgb.addresses import Kind
from imgb.diagnostics import SourcePos
from imgb.reconciler.config.model import Config, Distribution, Template
from imgb.reconciler.guardrails.figures import SourceRef
from imgb.reconciler.plan import Change, Plan


def sources(plan: Plan, config: Config) -> dict[str, SourceRef]:
    """Change address -> where the configuration asks for it (changes the configuration no longer
    has, such as deletes of removed blocks, have none)."""
    out: dict[str, SourceRef] = {}
    for c in plan.changes:
        ref = _source(c, config)
        if ref is not None:
            out.setdefault(c.address, ref)
    return dict(sorted(out.items()))


def _ref(address: str, pos: SourcePos, attr_pos: dict[str, SourcePos], attribute: str | None = None) -> SourceRef:
    attrs = {k: p.line for k, p in sorted(attr_pos.items()) if p.filename == pos.filename}
    return SourceRef(filename=pos.filename, line=pos.line, column=pos.column, block=address, attributes=attrs,
                     attribute=attribute)


def _source(c: Change, config: Config) -> SourceRef | None:
    if c.kind is Kind.COMPONENT:
        comp = config.components.get(c.address)
        return _ref(c.address, comp.pos, comp.attr_pos) if comp is not None else None
    tmpl = config.templates.get(c.address if c.kind is Kind.TEMPLATE else c.template or "")
    if tmpl is None:
        return None
    if c.kind in (Kind.TEMPLATE, Kind.IMAGE):
        return _ref(tmpl.address, tmpl.pos, tmpl.attr_pos)
    attrs = c.after or c.before or {}
    region, account = str(attrs.get("region") or ""), str(attrs.get("account") or "")
    dist = _distribution(tmpl, config, region, account if c.kind is Kind.SHARE else None)
    if dist is None:
        return _ref(tmpl.address, tmpl.pos, tmpl.attr_pos, "distribute")
    return _ref(dist.address, dist.pos, dist.attr_pos, "accounts" if c.kind is Kind.SHARE else "regions")


def _distribution(tmpl: Template, config: Config, region: str, account: str | None) -> Distribution | None:
    fallback = None
    for ref in tmpl.distribute:
        dist = config.distributions.get(ref.address)
        if dist is None:
            continue
        if account is None and region in ref.regions:
            return dist
        if account is not None and account in ref.accounts:
            if region in ref.regions or not ref.regions:
                return dist
            fallback = fallback or dist
    return fallback
