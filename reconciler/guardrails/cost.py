"""What a plan will cost: one-off build cost and the monthly storage run-rate, before and after.

* A build runs the provider's build instance for the expected duration: the last recorded build of
  that address (the plan's ETA), else ``DEFAULT_BUILD_HOURS``. Cost = hourly price × hours.
* Storage: every image and copy is stored (billed per GiB-month in its region). ``monthly_before``
  is what the images and copies in state cost now, at their recorded sizes. ``monthly_after`` is
  the steady state of the configuration: ``retain`` generations of each template, each stored in
  the home region and every region it is copied to (as this plan leaves the copies), at the size
  of the template's last image (or the provider's estimate before its first build). So raising
  ``retain`` or adding a region raises ``monthly_after`` even when the plan builds nothing.
* Per action: a build's one-off cost, and the storage per month a build or copy adds and a delete
  ends at once.

Missing prices leave the figures that need them out (``complete`` false, a note says why).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from imgb.addresses import Kind
from imgb.providers.base import Quote
from imgb.reconciler.config.model import Config, Template
from imgb.reconciler.guardrails.figures import ActionCost, PlanCost, TemplateCost
from imgb.reconciler.guardrails.prices import PriceBook
from imgb.reconciler.plan import Action, Change, Plan
from imgb.state.model import DEPOSED, ResourceState, State

DEFAULT_BUILD_HOURS = 0.5
"""A template never built before: an Image Builder build takes tens of minutes."""
_BUILDS = (Action.CREATE, Action.REPLACE, Action.RESUME)
_STORED = (Kind.IMAGE, Kind.COPY)


def estimate(plan: Plan, state: State, config: Config | None, prices: PriceBook) -> PlanCost:
    return _Estimate(plan, state, config, prices).run()


class _Estimate:
    def __init__(self, plan: Plan, state: State, config: Config | None, prices: PriceBook):
        self.plan, self.state, self.prices = plan, state, prices
        self.templates: Mapping[str, Template] = config.templates if config is not None else {}
        self.notes: list[str] = []
        self.sources: set[str] = set()
        self.currencies: set[str] = set()
        self.paid = False
        """A price above zero, or one that could not be had, was met."""
        self.complete = True
        self.images: dict[str, list[ResourceState]] = {}
        """Template -> its images in state, deposed ones left out."""
        for r in state.resources:
            if r.kind is Kind.IMAGE and r.template is not None and r.status != DEPOSED:
                self.images.setdefault(r.template, []).append(r)

    # -- prices ---------------------------------------------------------------------------------
    def _use(self, quote: Quote | str) -> Quote | None:
        if isinstance(quote, str):
            self.complete, self.paid = False, True
            if quote not in self.notes:
                self.notes.append(quote)
            return None
        self.sources.add(quote.source)
        self.paid = self.paid or quote.amount > 0 or bool(quote.currency)
        if quote.currency:
            self.currencies.add(quote.currency)
        return quote

    def storage(self, provider: str, region: str) -> float | None:
        q = self._use(self.prices.storage(provider, region))
        return q.amount if q else None

    # -- sizes ----------------------------------------------------------------------------------
    def gib(self, provider: str, attrs: Mapping[str, object]) -> float | None:
        pricing = self.prices.pricing(provider)
        return pricing.image_gib(attrs) if pricing is not None else None

    def template_size(self, template: str, provider: str) -> tuple[float | None, str]:
        """The size of the template's images: its current (else newest) image in state, else the
        provider's estimate from the template's configuration."""
        images = list(self.images.get(template, ()))
        current = self.state.current.get(template)
        images.sort(key=lambda r: (r.image_hash == current, r.created_at or ""), reverse=True)
        for r in images:
            size = self.gib(provider, r.attributes)
            if size is not None:
                return size, "last build"
        tmpl = self.templates.get(template)
        if tmpl is not None:
            size = self.gib(provider, {"build_content": tmpl.build, "system_disk_size": tmpl.system_disk_size})
            if size is not None:
                return size, f"estimate: system disk of {tmpl.system_disk_size} GiB (no image built yet)"
        return None, "unknown until the first build"

    # -- the estimate ---------------------------------------------------------------------------
    def run(self) -> PlanCost:
        actions = [a for c in self.plan.changes if c.is_change() and (a := self.action(c)) is not None]
        templates = self.template_costs()
        if len(self.currencies) > 1:
            self.complete = False
            self.notes.append(f"prices come in several currencies ({', '.join(sorted(self.currencies))}): no totals")
        single = len(self.currencies) <= 1

        def total(values: list[float | None]) -> float | None:
            known = [v for v in values if v is not None]
            return round(sum(known), 6) if single and (known or not values) else None

        before = total([t.monthly_before for t in templates])
        after = total([t.monthly_after for t in templates])
        return PlanCost(
            currency=next(iter(self.currencies)) if len(self.currencies) == 1 else "",
            free=not self.paid,
            build=total([a.build for a in actions if a.build_hours is not None]),
            monthly_before=before,
            monthly_after=after,
            monthly_change=round(after - before, 6) if before is not None and after is not None else None,
            gib_before=_sum([t.gib_before for t in templates]),
            gib_after=_sum([t.gib_after for t in templates]),
            complete=self.complete,
            notes=self.notes,
            sources=sorted(self.sources),
            actions=actions,
            templates=templates,
        )

    def action(self, c: Change) -> ActionCost | None:
        if c.kind not in _STORED or c.action in (Action.NOOP, Action.FORGET, Action.REUSE):
            return None
        attrs = (c.before if c.action is Action.DELETE else c.after) or c.before or {}
        region = str(attrs.get("region") or self._home(c.provider) or "") or None
        out = ActionCost(address=c.display_address, template=c.template, region=region)
        template = c.template or ""
        if c.action is Action.DELETE:
            prior = self.state.get(c.address, c.image_hash)
            size = self.gib(c.provider, prior.attributes) if prior is not None else None
            if size is None:
                size = self.template_size(template, c.provider)[0]
            sign = -1.0
        else:
            size, sign = self.template_size(template, c.provider)[0], 1.0
        if c.action is not Action.REPLACE and size is not None and region is not None:
            price = self.storage(c.provider, region)
            out.storage_gib = round(sign * size, 6)
            out.monthly = round(sign * size * price, 6) if price is not None else None
        if c.kind is Kind.IMAGE and c.action in _BUILDS:
            tmpl = self.templates.get(template)
            out.build_hours = round(c.eta_s / 3600, 6) if c.eta_s else DEFAULT_BUILD_HOURS
            q = self._use(self.prices.build(c.provider, tmpl.instance_type if tmpl else None,
                                            tmpl.system_disk_size if tmpl else None))
            out.build = round(q.amount * out.build_hours, 6) if q is not None else None
        return out

    def template_costs(self) -> list[TemplateCost]:
        stored: dict[str, list[ResourceState]] = defaultdict(list)
        providers: dict[str, str] = {}
        for r in self.state.resources:
            if r.kind in _STORED and r.template:
                stored[r.template].append(r)
                providers.setdefault(r.template, r.provider)
        for address, tmpl in self.templates.items():
            providers[address] = tmpl.provider
        copies: dict[str, set[str]] = defaultdict(set)
        for c in self.plan.changes:
            if c.kind is Kind.COPY and c.template and not c.retained and c.action not in (Action.DELETE, Action.FORGET):
                region = (c.after or c.before or {}).get("region")
                if region:
                    copies[c.template].add(str(region))
        out = []
        for template in sorted(providers):
            key = providers[template]
            config_tmpl = self.templates.get(template)
            size, source = self.template_size(template, key)
            t = TemplateCost(template=template, image_gib=size, size_source=source)
            # Now: what state holds, each at its own recorded size.
            gib_before, money_before = 0.0, 0.0
            for r in stored.get(template, []):
                rsize = self.gib(key, r.attributes)
                rsize = size if rsize is None else rsize
                region = str(r.attributes.get("region") or self._home(r.provider) or "")
                price = self.storage(r.provider, region) if region else None
                if rsize is None or price is None:
                    money_before = float("nan")
                    gib_before = gib_before + rsize if rsize is not None else float("nan")
                    continue
                gib_before += rsize
                money_before += rsize * price
            t.gib_before, t.monthly_before = _num(gib_before), _num(money_before)
            if config_tmpl is None:
                t.gib_after, t.monthly_after = 0.0, 0.0
            else:
                home = self._home(key)
                t.retain = config_tmpl.retain
                t.regions = ([home] if home else []) + sorted(copies.get(template, set()) - {home})
                if size is not None:
                    t.gib_after = round(size * config_tmpl.retain * len(t.regions), 6)
                    prices = [self.storage(key, r) for r in t.regions]
                    if all(p is not None for p in prices):
                        t.monthly_after = round(size * config_tmpl.retain * sum(p for p in prices if p is not None), 6)
                else:
                    self.complete = False
                    note = f"{template}: image size {source}"
                    if note not in self.notes:
                        self.notes.append(note)
            out.append(t)
        return out

    def _home(self, key: str) -> str | None:
        p = self.prices.providers.get(key)
        return p.region if p is not None else None


def _num(v: float) -> float | None:
    return None if v != v else round(v, 6)  # NaN: something could not be priced


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 6) if known or not values else None
