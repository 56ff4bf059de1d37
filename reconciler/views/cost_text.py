"""The plan's cost for people: one line for the terminal, details under -detailed, and the table
at the top of the pull-request comment."""

from __future__ import annotations

from imgb.reconciler.guardrails.figures import PlanCost

MARKDOWN_ROWS = 20
"""Templates listed in the comment's cost table; the rest are summed in one row."""


def money(amount: float | None, currency: str, *, sign: bool = False) -> str:
    if amount is None:
        return "unknown"
    text = f"{amount:+,.2f}" if sign else f"{amount:,.2f}"
    return f"{text} {currency}".strip()


def gib(amount: float | None) -> str:
    return "unknown" if amount is None else f"{amount:,.1f} GiB"


def summary(cost: PlanCost, builds: int) -> str:
    """One line: the builds' one-off cost and the storage run-rate before and after."""
    if cost.free:
        line = (f"Cost: none (local provider). Disk: {gib(cost.gib_before)} now, "
                f"{gib(cost.gib_after)} at full retention.")
    else:
        c = cost.currency
        change = f" ({money(cost.monthly_change, c, sign=True)})" if cost.monthly_change else ""
        line = (f"Cost: {money(cost.build, c)} for {builds} build(s); storage {money(cost.monthly_before, c)}/month now, "
                f"{money(cost.monthly_after, c)}/month at full retention{change}.")
    if not cost.complete:
        line += f" Incomplete: {cost.notes[0] if cost.notes else 'some prices are unavailable'}" + (
            f" (and {len(cost.notes) - 1} more)" if len(cost.notes) > 1 else "") + "."
    return line


def detailed(cost: PlanCost) -> list[str]:
    """Every priced build, copy and delete, and every template's storage, for -detailed."""
    c = cost.currency
    out = ["Cost details" + (f" (prices: {'; '.join(cost.sources)})" if cost.sources else "") + ":"]
    for a in cost.actions:
        parts = []
        if a.build_hours is not None:
            parts.append(f"build {money(a.build, c)} ({a.build_hours * 60:.0f} min)")
        if a.storage_gib is not None:
            parts.append(f"storage {gib(a.storage_gib)} in {a.region}, {money(a.monthly, c, sign=True)}/month")
        if parts:
            out.append(f"  {a.address}: " + ", ".join(parts))
    for t in cost.templates:
        keep = f"{t.retain} × {gib(t.image_gib)} ({t.size_source}) in {', '.join(t.regions)}" if t.retain else "leaves the configuration"
        out.append(f"  {t.template}: {keep}: {money(t.monthly_before, c)}/month now, "
                   f"{money(t.monthly_after, c)}/month at full retention")
    out.extend(f"  Note: {n}" for n in cost.notes)
    return out


def markdown(cost: PlanCost, builds: int) -> list[str]:
    """The cost table of the pull-request comment, the run-rate change highlighted."""
    c = cost.currency
    if cost.free:
        return [f"**Cost:** none (local provider). Disk: {gib(cost.gib_before)} now, "
                f"{gib(cost.gib_after)} at full retention.", ""]
    out: list[str] = []
    if cost.monthly_change:
        kind = "WARNING" if cost.monthly_change > 0 else "NOTE"
        out += [f"> [!{kind}]", f"> Storage run-rate: {money(cost.monthly_before, c)}/month now → "
                f"**{money(cost.monthly_after, c)}/month** at full retention (**{money(cost.monthly_change, c, sign=True)}/month**).", ""]
    out += [
        "| cost | builds (one-off) | storage now / month | at full retention / month |",
        "| --- | ---: | ---: | ---: |",
    ]
    per_template: dict[str, float] = {}
    for a in cost.actions:
        if a.build is not None and a.template:
            per_template[a.template] = per_template.get(a.template, 0.0) + a.build
    for t in cost.templates[:MARKDOWN_ROWS]:
        build = per_template.get(t.template)
        out.append(f"| `{t.template.replace('|', chr(92) + '|')}` | {money(build, c) if build is not None else ''} | "
                   f"{money(t.monthly_before, c)} | {money(t.monthly_after, c)} |")
    if len(cost.templates) > MARKDOWN_ROWS:
        out.append(f"| _{len(cost.templates) - MARKDOWN_ROWS} more template(s)_ | | | |")
    out.append(f"| **total** ({builds} build(s)) | **{money(cost.build, c)}** | **{money(cost.monthly_before, c)}** | "
               f"**{money(cost.monthly_after, c)}** |")
    out.append("")
    foot = []
    if cost.sources:
        foot.append(f"Prices: {'; '.join(cost.sources)}.")
    if not cost.complete:
        foot.append("Incomplete: " + "; ".join(cost.notes[:5]) + ("…" if len(cost.notes) > 5 else "") + ".")
    if foot:
        out += ["_" + " ".join(foot).replace("_", "\\_") + "_", ""]
    return out
