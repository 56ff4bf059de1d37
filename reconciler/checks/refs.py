"""What a COMPONENT line refers to: a component of this configuration (through an unknown marker
for its id), an existing component id (``ic-…``), or a versioned ``acs:ecs:…:imagecomponent/Name/x.y.z``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from imgb.diagnostics import did_you_mean
from imgb.reconciler.config.model import Component
from imgb.unknown import OPEN, display, refs_in

_ID_RE = re.compile(r"^ic-[a-z0-9]+$")
_VERSION_PART = r"(?:0|[1-9][0-9]*|\*)"
_ACS_RE = re.compile(
    r"^acs:ecs:[a-z0-9-]*:[0-9*]*:imagecomponent/[A-Za-z][A-Za-z0-9:._-]*/"
    + _VERSION_PART
    + r"\."
    + _VERSION_PART
    + r"\."
    + _VERSION_PART
    + "$"
)
_ACS_COLON_RE = re.compile(r"^acs:ecs:[^/]*:imagecomponent/[^/]+:[0-9*]+\.[0-9*]+\.[0-9*]+$")
_MARKER_ADDR_RE = re.compile(r'^(component\.[A-Za-z_][A-Za-z0-9_-]*(?:\[".*"\])?)\.([A-Za-z_]+)$')
_LITERAL_ADDR_RE = re.compile(r'^(component\.[A-Za-z_][A-Za-z0-9_-]*(?:\[".*"\])?)\.id$')


@dataclass(frozen=True)
class ComponentRef:
    """What a ``COMPONENT`` line refers to."""

    component: str | None = None
    """The address of the referenced component of this configuration, or None for an outside one."""
    problem: tuple[str, str] | None = None
    """(summary, detail) when the reference is unusable."""


def classify_ref(text: str, components: Mapping[str, Component]) -> ComponentRef:
    if OPEN in text:
        return _classify_marked(text, components)
    if _ID_RE.match(text) or _ACS_RE.match(text):
        return ComponentRef()
    if _ACS_COLON_RE.match(text):
        head, _, version = text.rpartition(":")
        return ComponentRef(
            problem=(
                "Component reference with a colon before the version",
                f'"{text}" separates the version with a colon. Image Builder\'s examples use a slash: '
                f'"{head}/{version}". Write it that way.',
            )
        )
    m = _LITERAL_ADDR_RE.match(text)
    if m:
        return ComponentRef(
            problem=(
                "Component reference without interpolation",
                f'"{text}" is plain text here, not a reference. Write ${{{text}}} so imgb puts in the '
                "component's id.",
            )
        )
    names = [a + ".id" for a in components]
    return ComponentRef(
        problem=(
            "Unknown component reference",
            f'"{text}" is neither a component of this configuration nor a component id. Use '
            "${component.NAME.id} for a component declared here, an id like ic-bp18hy47cqavewsb, or "
            "acs:ecs:REGION:ACCOUNT:imagecomponent/NAME/x.y.z. Alibaba Cloud would reject it with "
            "ImageComponent.NotFound." + _suggest(text, names),
        )
    )


def _suggest(text: str, names: list[str]) -> str:
    hint = did_you_mean(text, names)
    return hint.replace('"component.', '"${component.').replace('.id"?', '.id}"?') if hint else ""


def _classify_marked(text: str, components: Mapping[str, Component]) -> ComponentRef:
    refs = refs_in(text)
    whole = len(refs) == 1 and display(text) == "${" + refs[0] + "}"
    if not whole:
        # Built from a marker and text (say an acs: reference with a computed name): only the
        # cloud can tell whether it resolves.
        return ComponentRef()
    ref = refs[0]
    m = _MARKER_ADDR_RE.match(ref)
    if not m:
        return ComponentRef(
            problem=(
                "COMPONENT reference to something that is not a component",
                f"${{{ref}}} is not a component id. COMPONENT takes ${{component.NAME.id}}, an ic-… id or an "
                "acs:ecs:…:imagecomponent/NAME/x.y.z reference.",
            )
        )
    address, attr = m.group(1), m.group(2)
    if address not in components:
        return ComponentRef(
            problem=(
                "Reference to an undeclared component",
                f"{address} is not declared in this configuration." + did_you_mean(address, components),
            )
        )
    if attr != "id":
        return ComponentRef(
            problem=(
                "COMPONENT reference to a component attribute other than id",
                f"${{{ref}}} is the component's {attr}; COMPONENT needs ${{{address}.id}}.",
            )
        )
    return ComponentRef(component=address)
