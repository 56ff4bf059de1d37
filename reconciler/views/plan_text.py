"""The plan as people read it in a terminal or a CI log, in Terraform's shape."""

from __future__ import annotations

import json
from typing import Any

from imgb import unknown
from imgb.addresses import Kind
from imgb.reconciler.masking import SECRETS_DIGEST
from imgb.reconciler.plan import FORGOTTEN, TEST_FAILED_WARNING, Action, Change, Plan

# A secrets digest only says *that* a secret changed; the reasons line says it in words.
HIDDEN = {"hash_inputs", "context_dir", SECRETS_DIGEST}


def headline(c: Change) -> str:
    a, act = c.display_address, c.action
    if act is Action.FORGET and FORGOTTEN in c.reasons:
        return f"{a} will no longer be managed by imgb, but will not be deleted"
    if act is Action.FORGET:
        return f"{a} is gone and will be removed from state"
    if c.importing is not None:
        return f"{a} will be imported" + ("" if act is Action.NOOP else f", then {_action_headline(c).removeprefix(a + ' ')}")
    if c.previous_address is not None:
        return f"{c.previous_address} has moved to {a}" + ("" if act is Action.NOOP else f", and {_action_headline(c).removeprefix(a + ' ')}")
    return _action_headline(c)


def _action_headline(c: Change) -> str:
    a = c.display_address
    after = c.after or {}
    before = c.before or {}
    k, act = c.kind, c.action
    if act is Action.RESUME:
        return f"{a} was left in progress and will be resumed"
    if k is Kind.IMAGE:
        return {
            Action.CREATE: f"{a} will be built",
            Action.REPLACE: f"{a} will be rebuilt",
            Action.REUSE: f"{a} will be made current again, without a build",
            Action.DELETE: f"{a} will be deleted",
            Action.NOOP: f"{a} is up to date",
        }[act]
    if k is Kind.COPY:
        region = after.get("region") or before.get("region")
        return {
            Action.CREATE: f"{a} will be copied to {region}",
            Action.DELETE: f"{a} will be deleted from {region}",
        }.get(act, f"{a} will be replaced")
    if k is Kind.SHARE:
        acct = after.get("account") or before.get("account")
        region = after.get("region") or before.get("region")
        return {
            Action.CREATE: f"{a} will be shared with account {acct} in {region}",
            Action.DELETE: f"{a} will be unshared from account {acct} in {region}",
        }.get(act, f"{a} will be replaced")
    return {
        Action.CREATE: f"{a} will be created",
        Action.REPLACE: f"{a} must be replaced",
        Action.DELETE: f"{a} will be destroyed",
    }.get(act, f"{a}")


SYMBOL = {
    Action.CREATE: "+",
    Action.RESUME: "+",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.REUSE: "~",
    Action.FORGET: "-",
}


def _fmt_value(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(unknown.display(v), ensure_ascii=False)
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def _multiline(v: Any) -> bool:
    return isinstance(v, str) and "\n" in v.strip("\n")


def _block(lines: list[str], indent: str) -> list[str]:
    return [f"{indent}    {ln}".rstrip() for ln in lines]


def render_change(c: Change) -> list[str]:
    out = [f"  # {headline(c)}"]
    for r in c.reasons:
        out.append(f"  #   ({r})")
    sym = SYMBOL.get(c.action, " ")
    out.append(f"  {sym} {c.display_address} {{")
    before, after = c.before or {}, c.after or {}
    if c.action in (Action.DELETE, Action.FORGET):
        shown: dict[str, Any] = {"id": c.prior_id, **{k: before[k] for k in ("name", "region", "account") if k in before}}
        width = max(len(k) for k in shown)
        for k, v in shown.items():
            out.append(f"      - {k.ljust(width)} = {_fmt_value(v)}")
        out.append("    }")
        return out
    keys = sorted(k for k in set(after) | set(before) if k not in HIDDEN)
    if c.importing is not None and c.action is Action.NOOP:
        # The attributes read from the object, as Terraform shows an import.
        width = max((len(k) for k in keys), default=2)
        out.append(f"        {'id'.ljust(width)} = {json.dumps(c.importing)}")
        out.extend(f"        {k.ljust(width)} = {_fmt_value(before[k])}" for k in keys if k in before and before[k] not in (None, "", {}))
        out.append("    }")
        return out
    if c.action is Action.NOOP:  # moved: the object and its attributes stay as they are
        out.append(f"        id = {json.dumps(c.prior_id)}")
        out.append("        # (attributes unchanged)")
        out.append("    }")
        return out
    if c.action in (Action.CREATE, Action.RESUME):
        keys = sorted(k for k in after if k not in HIDDEN)
    elif c.action is Action.REUSE:
        keys = ["content_hash"]
    width = max((len(k) for k in keys), default=0)
    if c.prior_id and c.action is not Action.CREATE:
        out.append(f"        {'id'.ljust(width)} = {json.dumps(c.prior_id)}" + ("" if c.action is Action.REUSE else " -> (known after apply)"))
    elif c.action in (Action.CREATE, Action.RESUME):
        out.append(f"      + {'id'.ljust(width)} = (known after apply)")
    for k in keys:
        a = after.get(k)
        b = before.get(k)
        unknown_v = k in c.after_unknown
        forces = "  # forces replacement" if k in c.replace_paths else ""
        if c.action in (Action.CREATE, Action.RESUME):
            if a is None or a == {} or a == "":
                continue
            if unknown_v and not _multiline(a):
                out.append(f"      + {k.ljust(width)} = (known after apply)")
            elif _multiline(a):
                out.append(f"      + {k.ljust(width)} = <<-EOT")
                out.extend(_block(unknown.display(a).rstrip("\n").splitlines(), "      "))
                out.append("        EOT")
            else:
                out.append(f"      + {k.ljust(width)} = {_fmt_value(a)}")
            continue
        if a == b or (not a and not b):
            continue
        if _multiline(a) or _multiline(b):
            out.append(f"      ~ {k.ljust(width)} = <<-EOT{forces}")
            old = unknown.display(b or "").rstrip("\n").splitlines()
            new = unknown.display(a or "").rstrip("\n").splitlines()
            import difflib  # only for a change of content

            for ln in difflib.ndiff(old, new):
                if ln.startswith("? "):
                    continue
                mark = {"- ": "-", "+ ": "+"}.get(ln[:2], " ")
                out.append(f"          {mark} {ln[2:]}".rstrip())
            out.append("        EOT")
        else:
            new_s = "(known after apply)" if unknown_v else _fmt_value(a)
            out.append(f"      ~ {k.ljust(width)} = {_fmt_value(b)} -> {new_s}{forces}")
    out.append("    }")
    return out


def summary_line(plan: Plan) -> str:
    n = plan.counts()
    extra = f" Builds: {n['builds']}, copies: {n['copies']}, shares: {n['shares']}, unshares: {n['unshares']}."
    if n["forget"]:
        extra += f" Forget: {n['forget']}."
    imports = f"{n['import']} to import, " if n["import"] else ""
    return f"Plan: {imports}{n['add']} to add, {n['change']} to change, {n['destroy']} to destroy.{extra}"


def render_plan(plan: Plan, *, detailed: bool = False) -> str:
    changes = plan.actionable()
    lines: list[str] = []
    if plan.drift:
        lines.append("Note: objects changed outside imgb")
        lines.append("")
        lines.extend(f"  - {d}" for d in plan.drift)
        lines.append("")
    if not changes:
        if plan.mode == "refresh-only" and plan.drift:
            lines.append("The state will be updated to match what exists. No images will be built.")
        elif any(w.get("summary") == TEST_FAILED_WARNING for w in plan.warnings):
            lines.append("No changes imgb can make: an image the configuration asks for failed its tests (see below).")
        else:
            lines.append("No changes. Your images match the configuration.")
        if plan.cost is not None and plan.cost.monthly_change:  # retain or regions changed: nothing to build yet
            lines.extend(_cost(plan, 0, detailed))
        return "\n".join(lines + _warnings(plan)) + "\n"
    lines.append("imgb will perform the following actions:")
    lines.append("")
    for c in changes:
        lines.extend(render_change(c))
        lines.append("")
    lines.append(summary_line(plan))
    eta = expected_seconds(changes)
    if eta >= 1:  # "about 0s" says nothing (and would make the output depend on the machine's speed)
        lines.append(f"Expected duration from earlier runs: about {_duration(eta)} of build and copy time.")
    if plan.cost is not None:
        lines.extend(_cost(plan, plan.counts()["builds"], detailed))
    return "\n".join(lines + _warnings(plan)) + "\n"


def _cost(plan: Plan, builds: int, detailed: bool) -> list[str]:
    """The cost summary (and table): its view loads only for a plan that shows one."""
    from imgb.reconciler.views import cost_text

    assert plan.cost is not None
    return [cost_text.summary(plan.cost, builds), *(cost_text.detailed(plan.cost) if detailed else [])]


def expected_seconds(changes: list[Change]) -> float:
    """The build and copy time earlier runs predict for ``changes``: only builds and copies that
    run count (a rollback, which reuses an image, or a delete takes none of it)."""
    running = (Action.CREATE, Action.REPLACE, Action.RESUME)
    return sum(c.eta_s or 0 for c in changes if c.kind in (Kind.IMAGE, Kind.COPY) and c.action in running)


def _warnings(plan: Plan) -> list[str]:
    lines: list[str] = []
    for w in plan.warnings:
        lines.append("")
        lines.append(f"Warning: {w['summary']}")
        if w.get("detail"):
            lines.append(f"  {w['detail']}")
    return lines


def _duration(s: float) -> str:
    if s < 60:
        return f"{s:.0f}s"
    return f"{int(s // 60)}m{int(s % 60):02d}s"
