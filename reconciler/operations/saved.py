"""Applying a saved plan, as Terraform does: the plan carries the values of its non-sensitive
variables, apply asks for the sensitive ones again (by name) and carries out the recorded values.
It refuses the plan, naming what moved, when the world is no longer the one it was made in: a
configuration file or a file it reads, a variable, a base image, or the state.

The order matters: the configuration files are compared before the configuration is loaded (a
changed file may no longer load, or name another backend); then the configuration is loaded with
the plan's values; then, under the state lock, everything else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from imgb.diagnostics import Diagnostic, DiagnosticError, Diagnostics, error
from imgb.providers.base import ProviderError
from imgb.reconciler.config.model import Config
from imgb.reconciler.masking import verifies
from imgb.reconciler.plan import Plan
from imgb.reconciler.planner import canonical, configuration_files, read_files
from imgb.reconciler.project import Project
from imgb.state.model import State

STALE = "Saved plan is stale"


def load(project: Project, saved: Plan) -> Config:
    """The configuration the plan was made from, with its variable values; refused when a
    configuration file changed, a --var contradicts the plan or a sensitive value is missing."""
    moved = _changed_files(saved.files, configuration_files(project.directory), "")
    if moved:
        raise DiagnosticError(_stale([f"the configuration changed: {', '.join(moved)}"]))
    project.vars = replace(project.vars, fixed=saved.variables)
    try:
        config, _ = project.load()
    except DiagnosticError as e:
        raise DiagnosticError(_name_missing(e.diagnostics, saved)) from None
    return config


def check(project: Project, saved: Plan, state: State, state_exists: bool) -> list[str]:
    """Refuse the plan when the world moved; return the sensitive values its placeholders stand
    for (``Plan.secrets``, in order)."""
    config = project.config
    reasons = _state_reasons(saved, state, state_exists)
    reasons += _changed_files(saved.read_files, read_files(config), ", which the configuration reads,")
    for name, stored in sorted(saved.sensitive_variables.items()):
        var = config.variables.get(name)
        if var is not None and not verifies(stored, canonical(var.value)):
            reasons.append(f"the value given for the sensitive variable {name} is not the one the plan was made with")
    reasons += _moved_bases(project, saved, config)
    if reasons:
        raise DiagnosticError(_stale(reasons))
    wrong = inconsistencies(saved, state, config)
    if wrong:
        raise DiagnosticError(error(
            "Invalid plan file",
            "The plan does not agree with the configuration and the state it was made from, so it was "
            "edited after imgb wrote it: " + "; ".join(wrong) + ". Nothing was applied. Make a new plan with imgb plan --out.",
        ))
    return secrets(saved, config)


def inconsistencies(saved: Plan, state: State, config: Config) -> list[str]:
    """What a plan imgb made cannot contain, given the (verified, unchanged) configuration and state
    it was made from: the checksum only finds corruption, and apply executes the plan as written."""
    from imgb.addresses import Address, AddressError, Kind
    from imgb.reconciler.plan import Action

    made = (Action.CREATE, Action.REPLACE, Action.REUSE, Action.RESUME)
    planned = {c.address for c in saved.changes}
    ids: dict[str, set[str]] = {}  # address -> the ids state records there
    for r in state.resources:
        ids.setdefault(r.address, set()).add(r.id)
    wrong: list[str] = []
    for c in saved.changes:
        try:
            kind = Address.parse(c.address).kind
        except AddressError:
            wrong.append(f"{c.address} is not an address")
            continue
        if kind != c.kind:
            wrong.append(f"{c.address} is recorded as a {c.kind}")
        if saved.mode == "destroy" and c.action in made:
            wrong.append(f"a destroy plan {c.action}s {c.address}")
        missing = [d for d in c.depends_on if d not in planned and d not in ids]
        if missing:
            wrong.append(f"{c.address} depends on {', '.join(missing)}, which neither the plan nor the state holds")
        if c.action in (Action.DELETE, Action.FORGET) and c.prior_id and c.prior_id not in ids.get(c.address, set()):
            wrong.append(f"{c.address} would delete {c.prior_id}, which the state does not record there")
        declared: Mapping[str, object] | None = (
            config.components if c.kind == Kind.COMPONENT else config.templates if c.kind == Kind.TEMPLATE else None
        )
        if declared is not None and c.action in made and c.address not in declared:
            wrong.append(f"{c.address} is made but not declared")
        deposed = (c.image_hash or "").startswith("deposed:")
        if declared is not None and c.action is Action.DELETE and c.address in declared and not deposed:
            wrong.append(f"{c.address} is declared but deleted")
        if c.kind == Kind.SHARE and c.action in made:
            account = (c.after or {}).get("account")
            tmpl = config.templates.get(c.template or "")  # the template's address
            allowed = {a for ref in (tmpl.distribute if tmpl else ()) for a in ref.accounts}
            if account not in allowed:
                wrong.append(f"{c.address} shares with account {account}, which the configuration does not name")
    return sorted(set(wrong))


def secrets(the_plan: Plan, config: Config) -> list[str]:
    """The sensitive values of ``config`` that the plan's placeholders stand for, in order."""
    values = list(config.sensitive_values)
    out: list[str] = []
    for n, secret in enumerate(the_plan.secrets):
        guesses = values[secret.hint : secret.hint + 1] + values  # where it was, then anywhere
        found = next((v for v in guesses if verifies(secret.verifier, v)), None)
        if found is None:
            raise DiagnosticError(
                _stale([f"sensitive value {n + 1} of the plan is not among the sensitive values given (a sensitive output or a backend connection string changed)"])
            )
        out.append(found)
    return out


def _stale(reasons: list[str]) -> Diagnostic:
    return error(STALE, "The given plan file can no longer be applied: " + "; ".join(reasons) + ". Run imgb plan again to make a new plan.")


def _state_reasons(plan: Plan, state: State, state_exists: bool) -> list[str]:
    if plan.prior_state_existed != state_exists:
        return [
            "the plan was made against an empty state, and the state has been written since"
            if not plan.prior_state_existed
            else "the state the plan was made against no longer exists"
        ]
    if state_exists and plan.prior_lineage != state.lineage:
        return ["the state belongs to another lineage"]
    if state_exists and plan.prior_serial != state.serial:
        return [f"the state changed after the plan was made (serial {plan.prior_serial} → {state.serial})"]
    return []


def _changed_files(planned: Mapping[str, str], now: Mapping[str, str], which: str) -> list[str]:
    out = []
    for path in sorted(set(planned) | set(now)):
        if path not in now:
            out.append(f"{path}{which} was removed")
        elif path not in planned:
            out.append(f"{path}{which} was added")
        elif planned[path] != now[path]:
            out.append(f"{path}{which} changed")
    return out


def _moved_bases(project: Project, saved: Plan, config: Config) -> list[str]:
    """A base image family with a newer image, or a name that now means another image."""
    reasons = []
    providers = project.providers()
    for p in saved.pinned_bases:
        tmpl = config.templates.get(p.template)
        if tmpl is None or tmpl.provider not in providers:
            continue
        try:
            now = providers[tmpl.provider].resolve_base_image(tmpl.base_image, tmpl.base_image_family)
        except ProviderError as e:
            if e.retryable:
                continue  # cannot tell now; the build fails if the pinned image is gone
            now = f"nothing ({e.code})"
        if now != p.image_id:
            what = f"base image family {p.family}" if p.family else f"base image {p.image}"
            reasons.append(f"{what} moved from {p.image_id} to {now}")
    return reasons


def _name_missing(diags: Diagnostics, saved: Plan) -> Diagnostics:
    """Loading failed: say by name which sensitive values must be given again, rather than "no value
    for required variable" (the plan file holds none of them)."""
    missing = [
        name
        for name in sorted(saved.sensitive_variables)
        if any(d.summary == "No value for required variable" and f'"{name}"' in d.detail for d in diags)
    ]
    if not missing:
        return diags
    out = Diagnostics()
    for d in diags:
        if not (d.summary == "No value for required variable" and any(f'"{n}"' in d.detail for n in missing)):
            out.add(d)
    names = " and ".join(", ".join(missing).rsplit(", ", 1))
    give = " ".join(f"--var {n}=..." for n in missing)
    out.add(
        error(
            "Sensitive values needed to apply this plan",
            f"The plan was made with the sensitive variable{'s' if len(missing) > 1 else ''} {names}, whose "
            f"values plan files never hold. Give {'them' if len(missing) > 1 else 'it'} again, as when the plan "
            f"was made: {give}, a --var-file, or the environment ({', '.join(f'IMGB_VAR_{n}' for n in missing)}).",
        )
    )
    return out

