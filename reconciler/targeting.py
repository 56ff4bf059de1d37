"""``--target`` and ``--replace`` checked against what exists, so a typo or a conflict is never a
silent "No changes".

Terraform plans a ``-target`` that matches nothing, and a ``-replace`` of an address it does not
know or that the targets leave out, as if the option were not there. imgb refuses them instead,
naming the closest address, and warns while targeting is in effect (as Terraform does), in every
plan format. The differ decides what a target selects (``differ._filter_targets``): an address
matches itself and its instances (``template.web`` matches ``template.web["a"]``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from imgb.diagnostics import Diagnostics, did_you_mean


def matches(pattern: str, address: str) -> bool:
    """Whether ``--target pattern`` (or ``--replace``) names ``address``: itself or an instance of it."""
    return address == pattern or address.startswith(pattern + "[")


def _suggest(pattern: str, known: Iterable[str]) -> str:
    blocks = {a.split("[", 1)[0] for a in known}
    return did_you_mean(pattern, [*known, *blocks])


def check_options(targets: Iterable[str], replace: Iterable[str], declared: Collection[str], in_state: Collection[str]) -> Diagnostics:
    """Before planning: every target names something declared or in state; every replacement
    names an object in state (one not created yet has nothing to replace: a warning)."""
    diags = Diagnostics()
    known = {*declared, *in_state}
    for t in dict.fromkeys(targets):
        if not any(matches(t, a) for a in known):
            diags.error(
                "Target matches nothing",
                f"--target {t} names no resource of the configuration or the state, so nothing would be planned."
                f"{_suggest(t, known)} imgb state list shows the addresses in state; imgb graph those of the configuration.",
            )
    for r in dict.fromkeys(replace):
        if any(matches(r, a) for a in in_state):
            continue
        if any(matches(r, a) for a in declared):
            diags.warning(
                "Nothing to replace yet",
                f"--replace {r}: it does not exist yet, so it is created, not replaced.",
            )
            continue
        diags.error(
            "Replacement matches nothing",
            f"--replace {r} names no resource of the configuration or the state.{_suggest(r, known)} "
            "imgb state list shows the addresses that can be replaced.",
        )
    return diags


def check_plan(targets: Collection[str], replace: Iterable[str], planned: Collection[str], in_state: Collection[str]) -> Diagnostics:
    """After planning: a replacement the targets left out is an error (the plan would not do what
    was asked), and targeting in effect is a warning."""
    diags = Diagnostics()
    if not targets:
        return diags
    for r in dict.fromkeys(replace):
        if any(matches(r, a) for a in in_state) and not any(matches(r, a) for a in planned):
            shown = " ".join(f"--target {t}" for t in targets)
            diags.error(
                "Replacement outside the targets",
                f"--replace {r} is not among what {shown} selects (the targets and what they need), so it "
                f"would not be replaced. Add --target {r}, or drop --replace {r}.",
            )
    if not diags.has_errors():
        need = "what they need" if len(set(targets)) > 1 else "what it needs"
        diags.warning(
            "Resource targeting is in effect",
            f"This plan covers only {', '.join(sorted(set(targets)))} and {need}, so it may not make every change "
            "the configuration asks for. --target is for exceptional situations (recovering from an error); run a "
            "plan without it to see the rest.",
        )
    return diags
