"""``imgb plan``'s body, and what plan and apply share on the command line: plan options from
flags, output formats, rendering, the terminal view. Without the CLI framework: the CLI's
``plan`` command and the front door's fast path (``cli_fast``) both run ``plan_command``, so
the two cannot print differently."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from imgb.reconciler import cli_io as io
from imgb.reconciler.cli_io import Exit

if TYPE_CHECKING:
    from imgb.reconciler.plan import Plan
    from imgb.reconciler.planner import PlanOptions
    from imgb.reconciler.views.terminal import Terminal

FORMATS = ("human", "json", "markdown")

EXIT_DRIFT = 3
"""imgb plan --refresh-only --detailed-exitcode: objects changed outside imgb."""


def options(*, destroy: bool = False, refresh: bool = True, refresh_only: bool = False, targets: list[str] | None = None,
            replace: list[str] | None = None, parallelism: int = 10) -> PlanOptions:
    from imgb.reconciler.planner import PlanOptions

    return PlanOptions(destroy, refresh, refresh_only, list(targets or []), list(replace or []), parallelism)


def output_format(json_: bool, format_: str) -> str:
    fmt_ = "json" if json_ else format_
    if fmt_ not in FORMATS:
        io.fail(f'--format must be human, json or markdown, not "{fmt_}".')
    return fmt_


def render(plan: Plan, fmt_: str, detailed: bool = False) -> str:
    """The plan in ``fmt_`` (one of ``FORMATS``); only that format's view is imported."""
    if fmt_ == "human":
        from imgb.reconciler.views.plan_text import render_plan

        return render_plan(plan, detailed=detailed)
    if fmt_ == "json":
        from imgb.reconciler.views.plan_json import render_json

        return render_json(plan)
    from imgb.reconciler.views.plan_markdown import render_markdown

    return render_markdown(plan)


def terminal(auto_approve: bool = False) -> Terminal:
    from imgb.reconciler.views.terminal import Terminal

    return Terminal(io.out, io.show_diags, auto_approve=auto_approve)


def plan_command(
    *,
    out: str | None = None,
    json_: bool = False,
    format_: str = "human",
    detailed_exitcode: bool = False,
    target: list[str] | None = None,
    replace: list[str] | None = None,
    destroy: bool = False,
    refresh_only: bool = False,
    refresh: bool = True,
    detailed: bool = False,
    var: list[str] | None = None,
    var_file: list[str] | None = None,
    parallelism: int = 10,
    lock: bool = True,
    lock_timeout: str = "0s",
    generate_config_out: str | None = None,
) -> None:
    """``imgb plan`` with its flags' values; raises ``Exit`` for a code other than 0."""
    from imgb.reconciler.operations.plan import PlanRequest, generate_config
    from imgb.reconciler.operations.plan import plan as plan_op

    project = io.project(var, var_file, lock=lock, lock_timeout=lock_timeout)
    if generate_config_out:
        written = generate_config(project, Path(generate_config_out))
        if written:
            io.err(f"Wrote {generate_config_out} for {', '.join(written)}. Review it.\n\n")
        else:
            io.err("Every import block's target is declared; nothing to generate.\n")
    fmt_ = output_format(json_, format_)
    opts = options(destroy=destroy, refresh=refresh, refresh_only=refresh_only, targets=target, replace=replace, parallelism=parallelism)
    the_plan = plan_op(project, PlanRequest(opts, Path(out) if out else None), terminal())
    io.out(render(the_plan, fmt_, detailed))
    if out and fmt_ == "human":
        io.out(f"\nSaved the plan to {out}. To apply exactly this plan, run: imgb apply {out}\n")
    if detailed_exitcode:
        if refresh_only:
            # Its own code, so a scheduled drift check tells drift from an ordinary pending change.
            if the_plan.drift or the_plan.actionable():
                raise Exit(EXIT_DRIFT)
        elif the_plan.actionable() or the_plan.drift:
            raise Exit(2)
