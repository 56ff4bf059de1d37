"""``imgb apply`` (and ``destroy``, ``refresh``): finish what an interrupted apply left, make or
read the plan, have it confirmed, carry it out, record the outputs."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

from imgb.diagnostics import DiagnosticError, error
from imgb.reconciler.apply import ApplyResult, Engine, adopt_operations
from imgb.reconciler.operations import saved
from imgb.reconciler.operations.plan import make_plan
from imgb.reconciler.operations.views import ApplyView
from imgb.reconciler.outputs import evaluate_outputs
from imgb.reconciler.plan import Plan
from imgb.reconciler.planner import PlanOptions
from imgb.reconciler.project import Project, read_plan_file
from imgb.reconciler.refactor import apply_refactoring
from imgb.state.manager import StateSession


@dataclass
class ApplyRequest:
    plan_file: Path | None = None
    """A plan saved with ``imgb plan --out``: apply exactly it. Otherwise plan with ``options``."""
    options: PlanOptions = field(default_factory=PlanOptions)


@dataclass
class ApplyOutcome:
    plan: Plan
    result: ApplyResult | None = None
    """None when there was nothing to do or the plan was not confirmed."""
    cancelled: bool = False
    adopted_seconds: float = 0.0
    """Time spent finishing what an interrupted apply left in flight, before planning."""


def apply(project: Project, request: ApplyRequest, view: ApplyView) -> ApplyOutcome:
    plan_file = read_plan_file(request.plan_file) if request.plan_file is not None else None
    if plan_file is not None:
        saved.load(project, plan_file)  # before the state: the backend is the configuration's
    manager = project.state_manager()
    try:
        with manager.session("apply") as session:
            if plan_file is not None:
                # Executed as it is: no second plan, no graph rebuilt from the configuration.
                secrets = saved.check(project, plan_file, session.state, manager.exists())
                the_plan = plan_file
            else:
                adopted_seconds = _finish_interrupted(project, session, view)
                the_plan = make_plan(project, session.state, manager.exists(), request.options, view)
                view.show_plan(the_plan)
                if not the_plan.actionable() and not (the_plan.drift and request.options.refresh_only):
                    # Outputs added or changed alone are recorded (as Terraform does), and a value
                    # recorded before it was masked is replaced.
                    if record_outputs(project, session):
                        session.checkpoint()
                    return ApplyOutcome(the_plan, adopted_seconds=adopted_seconds)
                if not view.confirm(the_plan):
                    return ApplyOutcome(the_plan, cancelled=True, adopted_seconds=adopted_seconds)
                secrets = saved.secrets(the_plan, project.config)
            result = execute(project, session, the_plan, secrets, request.options.parallelism, view)
            return ApplyOutcome(the_plan, result, adopted_seconds=adopted_seconds if plan_file is None else 0.0)
    finally:
        project.close()


def _finish_interrupted(project: Project, session: StateSession, view: ApplyView) -> float:
    """Adopt the operations an interrupted apply left in flight, before planning; the seconds it took."""
    if not session.state.operations:
        return 0.0
    started = time.monotonic()
    project.load()
    providers = project.providers()
    with view.adopting() as hooks:
        adopt_operations(session, providers, hooks, context_dir=str(project.directory.resolve()))
    stuck = [o.address for o in session.state.operations if o.provider in providers]
    if stuck:
        # Planning now could start them again under new tokens: a second object.
        raise DiagnosticError(
            error(
                "Operations left in progress could not be finished",
                f"A transient error (above) kept imgb from finishing {', '.join(stuck)}, which an "
                "interrupted apply started. They stay recorded in state so that nothing is "
                "started twice; nothing else was done. Run imgb apply again.",
            )
        )
    return time.monotonic() - started


def execute(
    project: Project, session: StateSession, the_plan: Plan, secrets: list[str], parallelism: int, view: ApplyView
) -> ApplyResult:
    """Carry out ``the_plan``'s recorded values (``secrets``: what its placeholders stand for)."""
    if not gc.isenabled():
        gc.freeze()  # the plan's objects live until exit: the collections of a long apply skip them
        gc.enable()
    apply_refactoring(session, the_plan)  # moved and import blocks, before the actions that follow them
    with view.applying(the_plan) as hooks:
        engine = Engine(
            the_plan,
            session,
            project.providers(),
            secrets=secrets,
            sensitive_values=project.config.sensitive_values,
            parallelism=parallelism,
            hooks=hooks,
            context_dir=str(project.directory.resolve()),
            mask=project.masker(),
        )
        result = engine.run(install_signal_handlers=True)
    record_outputs(project, session)
    session.checkpoint()
    return result


def record_outputs(project: Project, session: StateSession) -> bool:
    """Record the outputs in state when they changed; True if they did."""
    outputs = evaluate_outputs(project.config, session.state)
    if outputs == session.state.outputs:
        return False
    session.set_outputs(outputs)
    return True
