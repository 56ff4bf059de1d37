"""What an operation tells, and asks, the person running it. The CLI implements these; tests use
``Quiet``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from imgb.diagnostics import Diagnostics
from imgb.reconciler.plan import Plan

if TYPE_CHECKING:  # the engine loads when something is applied, not for a plan
    from imgb.reconciler.apply import Hooks


class PlanView(Protocol):
    def warnings(self, diags: Diagnostics) -> None:
        """Warnings found while loading the configuration and planning."""


class ApplyView(PlanView, Protocol):
    def adopting(self) -> contextlib.AbstractContextManager[Hooks]:
        """Operations an interrupted apply left in flight are about to be finished, with these hooks."""

    def show_plan(self, plan: Plan) -> None:
        """The plan an apply made."""

    def confirm(self, plan: Plan) -> bool:
        """Whether to carry out ``plan`` (shown just before; it has changes)."""

    def applying(self, plan: Plan) -> contextlib.AbstractContextManager[Hooks]:
        """The engine starts carrying out ``plan`` (its moves and imports are recorded already),
        reporting progress to these hooks."""


class Quiet:
    """Shows nothing, approves every plan: for tests and programs."""

    def __init__(self, approve: bool = True) -> None:
        self.approve = approve
        self.shown: list[Plan] = []
        self.warned = Diagnostics()

    def warnings(self, diags: Diagnostics) -> None:
        self.warned.extend(diags)

    @contextlib.contextmanager
    def adopting(self) -> Iterator[Hooks]:
        from imgb.reconciler.apply import Hooks

        yield Hooks()

    def show_plan(self, plan: Plan) -> None:
        self.shown.append(plan)

    def confirm(self, plan: Plan) -> bool:
        return self.approve

    @contextlib.contextmanager
    def applying(self, plan: Plan) -> Iterator[Hooks]:
        from imgb.reconciler.apply import Hooks

        yield Hooks()
