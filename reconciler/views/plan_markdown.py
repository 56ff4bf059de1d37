"""The plan as a pull-request comment, and a refresh-only plan as a drift report for an issue.

A comment starts with a hidden marker so CI can find and update its previous comment instead of
adding one per push. Sections go in order of importance, and the comment is cut to fit GitHub's
65,536-character limit from the end: the warnings, the summary and the table always stay; the
commands diff, the graph of actions and the per-template details are shortened or left out, each
with a note saying so.
"""

from __future__ import annotations

import difflib
import html
import re
from collections import defaultdict

from imgb import unknown
from imgb.addresses import Address, Kind
from imgb.reconciler.plan import Action, Change, Plan
from imgb.reconciler.views import cost_text
from imgb.reconciler.views.graph_text import mermaid_flowchart
from imgb.reconciler.views.plan_text import TEST_FAILED_WARNING, headline, render_change, summary_line

LIMIT = 60_000
"""Characters; GitHub refuses comments over 65,536, and CI may add a line or two around ours."""
MARKER = "<!-- imgb-plan -->"
DRIFT_MARKER = "<!-- imgb-drift -->"
GRAPH_MAX_NODES = 120
"""More actions than this make an unreadable diagram (and approach mermaid's own limits)."""
DIFF_MAX_LINES = 300
TABLE_MAX_ROWS = 100
LIST_MAX = 10

_CONTENT_ATTRS = {Kind.COMPONENT: ("content",), Kind.TEMPLATE: ("build_content", "test_content")}
_COMPONENT_LINE = re.compile(r"^(\s*COMPONENT\s+)\S+")
_CUT = "\n_Cut to fit the comment size limit; the full plan is in the saved plan file (`imgb show PLANFILE`)._\n"


def _group(c: Change) -> str:
    return c.template or c.address


def render_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    if plan.mode == "refresh-only":
        return render_drift_report(plan, limit=limit)
    changes = plan.actionable()
    head: list[str] = [MARKER, f"### imgb plan{' (destroy)' if plan.mode == 'destroy' else ''}", ""]
    head += _drift_section(plan)
    if not changes:
        if any(w.get("summary") == TEST_FAILED_WARNING for w in plan.warnings):
            head.append("**No changes imgb can make.** An image the configuration asks for failed its tests (see below).")
        else:
            head.append("**No changes.** Your images match the configuration.")
        if plan.cost is not None and plan.cost.monthly_change:  # retain or regions changed: nothing to build yet
            head += ["", *cost_text.markdown(plan.cost, 0)]
        head += _warnings_section(plan)
        return "\n".join(head) + "\n"
    head += _banners(plan)
    head.append(summary_line(plan))
    head.append("")
    if plan.cost is not None:
        head += cost_text.markdown(plan.cost, plan.counts()["builds"])
    groups: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        groups[_group(c)].append(c)
    head += _table(groups)
    head += _warnings_section(plan)
    out = "\n".join(head)

    # Optional sections, most useful first; each either fits whole, fits shortened, or leaves a note.
    for section in (_commands_diff, _graph_section):
        text = section(plan, limit - len(out) - len(_CUT))
        if text:
            out += "\n" + text
    details, cut = _details(groups, limit - len(out) - len(_CUT))
    out += details
    if cut:
        out += _CUT
    return out


# -- sections ---------------------------------------------------------------------------------------
def _banners(plan: Plan) -> list[str]:
    changes = plan.actionable()
    out: list[str] = []
    deletes = [c for c in changes if c.action in (Action.DELETE, Action.REPLACE) and c.kind is not Kind.SHARE]
    if deletes:
        names = [f"`{c.display_address}`" + (f" ({c.prior_id})" if c.prior_id else "") for c in deletes]
        out.append(
            f"> [!WARNING]\n> This plan deletes or replaces {len(deletes)} object(s): {_some(names)}."
        )
        out.append("")
    lost = _lost_shares(plan)
    if lost:
        lines = [f"> - account {acct}: {_some(sorted(where))}" for acct, where in sorted(lost.items())[:LIST_MAX]]
        if len(lost) > LIST_MAX:
            lines.append(f"> - and {len(lost) - LIST_MAX} more account(s)")
        out.append("> [!WARNING]\n> Images stop being shared with these accounts:\n" + "\n".join(lines))
        out.append("")
    retained = [c for c in changes if c.kind is Kind.SHARE and c.action is Action.DELETE and c.retained]
    if retained and not lost:
        accts = sorted({str((c.before or {}).get("account")) for c in retained})
        out.append(
            f"> [!NOTE]\n> {len(retained)} share(s) of retained images end (account(s) {_some(accts)}); "
            "the current images stay shared."
        )
        out.append("")
    return out


def _lost_shares(plan: Plan) -> dict[str, set[str]]:
    """Account -> `template` in region, for each account that no image of a template will be shared
    with in a region any more. A retained image's share ending while the current image stays
    shared there is not a loss."""
    kept: set[tuple[str, str, str]] = set()
    ending: list[tuple[str, str, str]] = []
    for c in plan.changes:
        if c.kind is not Kind.SHARE:
            continue
        attrs = (c.after if c.action is not Action.DELETE else c.before) or c.before or {}
        key = (c.template or _group(c), str(attrs.get("region", "")), str(attrs.get("account", "")))
        if c.action in (Action.CREATE, Action.RESUME, Action.NOOP, Action.REPLACE) and not c.retained:
            kept.add(key)
        elif c.action is Action.DELETE:
            ending.append(key)
    lost: dict[str, set[str]] = defaultdict(set)
    for tmpl, region, acct in ending:
        if (tmpl, region, acct) not in kept:
            lost[acct].add(f"`{tmpl}` in {region}")
    return dict(lost)


def _table(groups: dict[str, list[Change]]) -> list[str]:
    out = [
        "| template / resource | builds | copies | shares | unshares | deletes | other |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    totals = [0] * 6
    rows = sorted(groups.items())
    for i, (g, cs) in enumerate(rows):
        counts = _counts(cs)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        if i < TABLE_MAX_ROWS:
            out.append(f"| {_code(g)} | " + " | ".join(str(n) for n in counts) + " |")
    if len(rows) > TABLE_MAX_ROWS:
        out.append(f"| _{len(rows) - TABLE_MAX_ROWS} more_ | | | | | | |")
    if len(rows) > 1:
        out.append("| **total** | " + " | ".join(f"**{n}**" for n in totals) + " |")
    out.append("")
    return out


def _counts(cs: list[Change]) -> list[int]:
    b = sum(1 for c in cs if c.kind is Kind.IMAGE and c.action in (Action.CREATE, Action.REPLACE, Action.RESUME))
    cp = sum(1 for c in cs if c.kind is Kind.COPY and c.action in (Action.CREATE, Action.REPLACE, Action.RESUME))
    sh = sum(1 for c in cs if c.kind is Kind.SHARE and c.action in (Action.CREATE, Action.REPLACE, Action.RESUME))
    us = sum(1 for c in cs if c.kind is Kind.SHARE and c.action is Action.DELETE)
    de = sum(1 for c in cs if c.kind is not Kind.SHARE and c.action in (Action.DELETE, Action.REPLACE))
    return [b, cp, sh, us, de, len(cs) - b - cp - sh - us - de]


def _drift_section(plan: Plan) -> list[str]:
    if not plan.drift:
        return []
    out = ["> [!CAUTION]", f"> {len(plan.drift)} object(s) changed outside imgb; this plan restores or forgets them:"]
    out += [f"> - {d.removeprefix('drift: ')}" for d in plan.drift[:LIST_MAX]]
    if len(plan.drift) > LIST_MAX:
        out.append(f"> - and {len(plan.drift) - LIST_MAX} more")
    return out + [""]


def _warnings_section(plan: Plan) -> list[str]:
    if not plan.warnings:
        return []
    out = []
    for w in plan.warnings[:LIST_MAX]:
        text = str(w["summary"]).rstrip(".") + "." + (f" {w['detail']}" if w.get("detail") else "")
        out.append("> [!WARNING]\n> " + text.strip().replace("\n", "\n> "))
        out.append("")
    if len(plan.warnings) > LIST_MAX:
        out += [f"_and {len(plan.warnings) - LIST_MAX} more warning(s)._", ""]
    return out


def _commands_diff(plan: Plan, budget: int) -> str:
    """A unified diff of the commands of each component and template whose content changes."""
    diffs: list[tuple[str, list[str]]] = []
    for c in plan.actionable():
        if c.action is not Action.REPLACE or c.kind not in _CONTENT_ATTRS:
            continue
        for attr in _CONTENT_ATTRS[c.kind]:
            old = unknown.display(str((c.before or {}).get(attr) or "")).splitlines()
            new = unknown.display(str((c.after or {}).get(attr) or "")).splitlines()
            if old == new:
                continue
            if c.kind is Kind.TEMPLATE and _ids_only(old, new):
                continue  # only the ids of replaced components differ; their own diff is shown
            lines = list(difflib.unified_diff(old, new, f"a/{c.address} {attr}", f"b/{c.address} {attr}", lineterm=""))
            diffs.append((f"{c.address} {attr}", lines))
    if not diffs:
        return ""
    title = f"#### Commands changed ({len(diffs)})\n"
    out = title
    for i, (what, lines) in enumerate(diffs):
        shown = lines[:DIFF_MAX_LINES]
        more = f"\n_{len(lines) - DIFF_MAX_LINES} more diff line(s) not shown._\n" if len(lines) > DIFF_MAX_LINES else ""
        block = (
            f"\n<details><summary><code>{html.escape(what, quote=False)}</code></summary>\n\n```diff\n"
            + _fence_safe("\n".join(shown))
            + f"\n```\n{more}</details>\n"
        )
        if len(out) + len(block) > budget:
            rest = ", ".join(f"`{w}`" for w, _ in diffs[i:])
            note = f"\n_Diffs not shown for lack of space: {rest}._\n"
            if len(out) + len(note) > budget:
                note = f"\n_{len(diffs) - i} diff(s) not shown for lack of space._\n"
            return out + note if len(out) + len(note) <= budget else ""
        out += block
    return out


def _ids_only(old: list[str], new: list[str]) -> bool:
    def norm(lines: list[str]) -> list[str]:
        return [_COMPONENT_LINE.sub(r"\1<component>", ln) for ln in lines]

    return norm(old) == norm(new)


def _graph_section(plan: Plan, budget: int) -> str:
    """The actions in the order apply runs them (the engine's own dependency graph)."""
    from imgb.reconciler.apply import Step, build_steps

    steps = build_steps(plan)
    n = sum(1 for nd in steps.nodes if nd.is_action)  # a promotion is shown, but is part of its build
    if n < 2:
        return ""
    title = f"<details><summary>Order of the {n} actions (graph)</summary>\n\n"
    too_big = f"_The graph of the {n} actions is not shown: it has more than {GRAPH_MAX_NODES} nodes._\n"
    if steps.number_of_nodes() > GRAPH_MAX_NODES:
        return too_big if len(too_big) <= budget else ""
    order: dict[object, tuple[tuple[str, int, str, str, str], int, str]] = {}
    for node in steps.nodes:
        c = node.change
        order[node] = (Address.parse(c.address).sort_key(), 0 if node.step is not Step.DELETE else 1, c.image_hash or "")
    ordered = sorted(steps.nodes, key=lambda nd: order[nd])
    keys = {nd: str(i) for i, nd in enumerate(ordered)}
    nodes = []
    for nd in ordered:
        c = nd.change
        label = f"{_SIGN[nd.step]} {c.display_address}"
        if nd.step is Step.DELETE and c.prior_id and c.action is Action.REPLACE:
            label += f" (old {c.prior_id})"
        nodes.append((keys[nd], label, str(nd.step)))
    chart = mermaid_flowchart(nodes, [(keys[u], keys[v]) for u, v in steps.edges], _STYLES)
    text = title + "```mermaid\n" + chart + "```\n</details>\n"
    if len(text) > budget:
        note = f"_The graph of the {n} actions is not shown for lack of space._\n"
        return note if len(note) <= budget else ""
    return text


_SIGN = {"create": "+", "delete": "-", "promote": "in service:", "forget": "forget"}
_STYLES = {
    "create": "fill:#dafbe1,stroke:#1a7f37",
    "delete": "fill:#ffebe9,stroke:#cf222e",
    "promote": "fill:#ddf4ff,stroke:#0969da",
    "forget": "fill:#fff8c5,stroke:#9a6700",
}


def _details(groups: dict[str, list[Change]], budget: int) -> tuple[str, bool]:
    """Per template, the changes as the terminal shows them; headlines only when space runs out."""
    out = ""
    items = sorted(groups.items())
    for i, (g, cs) in enumerate(items):
        body: list[str] = []
        for c in cs:
            body.extend(render_change(c))
            body.append("")
        text = (
            f"\n<details><summary><code>{html.escape(g, quote=False)}</code>: {len(cs)} change(s)</summary>\n\n```diff\n"
            + _fence_safe("\n".join(body))
            + "\n```\n</details>\n"
        )
        if len(out) + len(text) > budget:
            short = "\n" + "\n".join(f"- {headline(c)}" for _, rest in items[i:] for c in rest) + "\n"
            if len(out) + len(short) <= budget:
                return out + short, True
            return out + _fit_lines([f"- {headline(c)}" for _, rest in items[i:] for c in rest], budget - len(out)), True
        out += text
    return out, False


def _fit_lines(lines: list[str], budget: int) -> str:
    out = "\n"
    for i, ln in enumerate(lines):
        more = f"- … and {len(lines) - i} more change(s)\n"
        if len(out) + len(ln) + 1 + len(more) > budget:
            return out + more if len(out) + len(more) <= budget else ""
        out += ln + "\n"
    return out


# -- the drift report ------------------------------------------------------------------------------
def render_drift_report(plan: Plan, *, limit: int = LIMIT) -> str:
    """A refresh-only plan as an issue body: what changed outside imgb and what to do about it."""
    gone = [c for c in plan.changes if c.action is Action.FORGET]
    head = [DRIFT_MARKER, "### imgb drift report", ""]
    if not gone and not plan.drift:
        head.append("**No drift.** Every object in the state still exists as imgb left it.")
        head += _warnings_section(plan)
        return "\n".join(head) + "\n"
    n = len(gone) or len(plan.drift)
    head += [
        f"> [!CAUTION]\n> {n} object(s) imgb manages changed outside imgb.",
        "",
        "| resource | id | what happened |",
        "| --- | --- | --- |",
    ]
    rows = [f"| {_code(c.display_address)} | {_code(str(c.prior_id))} | {_what(c)} |" for c in gone] or [
        f"| | | {d.replace('|', chr(92) + '|')} |" for d in plan.drift
    ]
    out = "\n".join(head) + "\n"
    tail_lines = [
        "",
        "**What to do**",
        "",
        "- To restore what is gone, run `imgb plan` and `imgb apply` (or merge a change): "
        "imgb builds, copies or shares it again.",
        "- To accept the change and stop tracking what is gone, run `imgb refresh` "
        "(the same as `imgb apply --refresh-only --auto-approve`).",
        "",
        "_Found by `imgb plan --refresh-only`._",
    ]
    tail_lines += _warnings_section(plan)
    tail = "\n".join(tail_lines) + "\n"
    out += _fit_lines(rows, limit - len(out) - len(tail))[1:]
    return out + tail


def _what(c: Change) -> str:
    for r in c.reasons:
        if r.startswith("drift: "):
            return r.rsplit(") ", 1)[-1] if ") " in r else r.removeprefix("drift: ")
    return "gone"


# -- helpers -------------------------------------------------------------------------------------
def _code(text: str) -> str:
    """A code span for a table cell: a pipe would end the cell even inside backticks."""
    return "`" + text.replace("|", "\\|") + "`"


def _some(items: list[str], n: int = LIST_MAX) -> str:
    if len(items) <= n:
        return ", ".join(items)
    return ", ".join(items[:n]) + f" and {len(items) - n} more"


def _fence_safe(text: str) -> str:
    """A line of ``` inside a code block would end it early; break such runs with a zero-width space."""
    return re.sub(r"^(\s*`)(``+)", "\\1\u200b\\2", text, flags=re.M)
