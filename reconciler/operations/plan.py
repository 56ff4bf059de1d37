"""``imgb plan``: make a plan of a project against its state, and save it when asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from imgb.addresses import Address, AddressError
from imgb.diagnostics import DiagnosticError, error
from imgb.reconciler import planner
from imgb.reconciler.config.cache import cache_dir
from imgb.reconciler.guardrails.review import review
from imgb.reconciler.plan import Plan
from imgb.reconciler.planner import PlanOptions
from imgb.reconciler.project import Project, write_private
from imgb.state.model import State

if TYPE_CHECKING:
    from imgb.reconciler.operations.views import PlanView


@dataclass
class PlanRequest:
    """What ``imgb plan`` is asked for."""

    options: PlanOptions = field(default_factory=PlanOptions)
    out: Path | None = None
    """Save the plan to this file (for ``imgb apply FILE``)."""


def plan(project: Project, request: PlanRequest, view: PlanView) -> Plan:
    manager = project.state_manager()
    with manager.session("plan", reader=True) as session:
        the_plan = make_plan(project, session.state, manager.exists(), request.options, view)
    if request.out is not None:
        write_private(request.out, the_plan.to_file_bytes())
    return the_plan


def make_plan(project: Project, state: State, state_exists: bool, options: PlanOptions, view: PlanView) -> Plan:
    """The plan of ``project`` against ``state``; raises DiagnosticError when there is none."""
    config, load_diags = project.load()
    if load_diags:  # warnings only: errors raised
        view.warnings(load_diags)
    check_addresses([*options.targets, *options.replace])
    providers = project.providers()
    the_plan, diags = planner.make_plan(config, state, providers, options, state_existed=state_exists)
    if the_plan is None:
        raise DiagnosticError(diags)
    mask = project.masker()
    for c in the_plan.changes:
        c.before = mask(c.before)
        c.after = mask(c.after)
    # The guardrails see the plan as it will be shown and saved: cost, sources, policies (a denial stops here).
    denied = review(the_plan, config, state, providers, cache_dir())
    if denied:
        raise DiagnosticError(denied)
    return the_plan


def check_addresses(addresses: list[str]) -> None:
    for a in addresses:
        try:
            Address.parse(a)
        except AddressError as e:
            raise DiagnosticError(error("Invalid resource address", str(e))) from None


def generate_config(project: Project, path: Path) -> list[str]:
    """Write HCL to ``path`` (a new ``*.imgb.hcl`` of the configuration) for the targets of import
    blocks the configuration does not declare, read from the objects; the plan that follows then
    includes them. Returns the addresses written (none: nothing to generate)."""
    from imgb.reconciler.generate import generated_config
    from imgb.reconciler.refactor import plan_refactoring

    if path.exists():
        raise DiagnosticError(error("Target generated file already exists",
                                    f"{path} already exists; -generate-config-out writes a new file. Remove it or choose another name."))
    if not path.name.endswith(".imgb.hcl") or path.resolve().parent != project.directory.resolve():
        raise DiagnosticError(error("Invalid generated file name",
                                    f"{path} would not be part of the configuration: give a new *.imgb.hcl file in {project.directory}."))
    config, _ = project.load()
    manager = project.state_manager()
    with manager.session("plan", reader=True) as session:
        refactoring = plan_refactoring(config, session.state, project.providers(), project.masker())
    project.close()
    if refactoring.diagnostics.has_errors():
        raise DiagnosticError(refactoring.diagnostics)
    if not refactoring.unconfigured_imports:
        return []
    write_private(path, generated_config(refactoring.unconfigured_imports).encode())
    project.forget_configuration()  # the plan that follows reads the new file too
    return [a for a, _, _ in refactoring.unconfigured_imports]
