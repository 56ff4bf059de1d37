"""Plan and apply on a terminal or in a CI log: the views ``reconciler/operations`` talk to."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from imgb.reconciler.plan import Plan

if TYPE_CHECKING:  # the engine and its progress views load when something is applied, not for a plan
    from imgb.reconciler.apply import Hooks


class NotConfirmed(Exception):
    """An apply needs confirmation and nobody can give it (no terminal, no --auto-approve)."""


class Terminal:
    def __init__(self, out: Callable[[str], None], warn: Callable[[Any], None], *, auto_approve: bool = False) -> None:
        self.out = out
        self.warn = warn
        self.auto_approve = auto_approve

    def warnings(self, diags: Any) -> None:
        self.warn(diags)

    @contextlib.contextmanager
    def adopting(self) -> Iterator[Hooks]:
        from imgb.reconciler.views.progress import LineHooks

        self.out("Finishing operations an interrupted apply left in progress:\n")
        yield LineHooks(self.out)
        self.out("\n")

    def show_plan(self, plan: Plan) -> None:
        from imgb.reconciler.views.plan_text import render_plan

        self.out(render_plan(plan))

    def confirm(self, plan: Plan) -> bool:
        if self.auto_approve:
            return True
        if not sys.stdin.isatty():
            raise NotConfirmed("imgb apply needs confirmation; run it in a terminal or pass --auto-approve.")
        return input("\nDo you want to perform these actions? Only 'yes' will be accepted: ").strip() == "yes"

    @contextlib.contextmanager
    def applying(self, plan: Plan) -> Iterator[Hooks]:
        from imgb.reconciler.views.progress import LineHooks, LiveHooks

        self.out("\n")
        for m in plan.moves:  # recorded already, before the actions
            self.out(f"{m.from_address}: Moved to {m.to_address}\n")
        for c in plan.changes:
            if c.importing is not None:
                self.out(f"{c.address}: Imported {c.importing}\n")
        if not sys.stdout.isatty():
            yield LineHooks(self.out)
            return
        actionable = plan.actionable()
        from imgb.reconciler.views.plan_text import expected_seconds

        with LiveHooks(len(actionable), expected_seconds(actionable)) as live:
            yield live
