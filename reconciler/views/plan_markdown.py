"""The plan as a pull-request comment: summary table first, details folded per template."""

from __future__ import annotations

from collections import defaultdict

from reconciler.addresses import Kind
from reconciler.plan import Action, Change, Plan
from reconciler.views.plan_text import headline, render_change, summary_line

LIMIT = 60_000
MARKER = "<!-- imgb-plan -->"


def _group(c: Change) -> str:
    return c.template or (c.address if c.kind is Kind.TEMPLATE else c.address)


def render_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    changes = plan.actionable()
    head: list[str] = [MARKER, "### imgb plan", ""]
    if not changes:
        head.append("**No changes.** Your images match the configuration.")
        if plan.drift:
            head += ["", "Objects changed outside imgb:", ""] + [f"- {d}" for d in plan.drift]
        return "\n".join(head) + "\n"
    deletes = [c for c in changes if c.action in (Action.DELETE, Action.REPLACE) and c.kind is not Kind.SHARE]
    unshares = [c for c in changes if c.action is Action.DELETE and c.kind is Kind.SHARE]
    if deletes:
        head.append(f"> [!WARNING]\n> This plan deletes or replaces {len(deletes)} object(s).")
        head.append("")
    if unshares:
        accts = sorted({str((c.before or {}).get("account")) for c in unshares})
        head.append(f"> [!WARNING]\n> Images stop being shared with account(s): {', '.join(accts)}.")
        head.append("")
    head.append(summary_line(plan))
    head.append("")
    groups: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        groups[_group(c)].append(c)
    head.append("| template / resource | builds | copies | shares | unshares | deletes | other |")
    head.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for g, cs in sorted(groups.items()):
        b = sum(1 for c in cs if c.kind is Kind.IMAGE and c.action in (Action.CREATE, Action.REPLACE, Action.RESUME))
        cp = sum(1 for c in cs if c.kind is Kind.COPY and c.action in (Action.CREATE, Action.RESUME))
        sh = sum(1 for c in cs if c.kind is Kind.SHARE and c.action in (Action.CREATE, Action.RESUME))
        us = sum(1 for c in cs if c.kind is Kind.SHARE and c.action is Action.DELETE)
        de = sum(1 for c in cs if c.kind is not Kind.SHARE and c.action in (Action.DELETE, Action.REPLACE))
        other = len(cs) - b - cp - sh - us - de
        head.append(f"| `{g}` | {b} | {cp} | {sh} | {us} | {de} | {other} |")
    head.append("")
    body: list[str] = []
    for g, cs in sorted(groups.items()):
        section = [f"<details><summary><code>{g}</code>: {len(cs)} change(s)</summary>", "", "```diff"]
        for c in cs:
            section.extend(render_change(c))
            section.append("")
        section += ["```", "</details>", ""]
        body.append("\n".join(section))
    out = "\n".join(head)
    tail = "\n_Details cut to fit the comment size limit; the full plan is in the JSON artifact (`imgb show PLANFILE --json`)._\n"
    for i, text in enumerate(body):
        if len(out) + len(text) + len(tail) > limit:
            short_text = "\n".join(f"- {headline(c)}" for _, cs in sorted(groups.items())[i:] for c in cs)
            if len(out) + len(short_text) + len(tail) <= limit:
                out += "\n" + short_text + "\n"
            return out + tail
        out += "\n" + text
    return out
