"""What the guardrails add to a plan (plain data; docs/plan-json.md): its cost figures, and where
in the configuration each change comes from."""

from __future__ import annotations

from dataclasses import dataclass, field

from imgb.diagnostics import SourcePos
from imgb.records import Record


@dataclass(kw_only=True)
class ActionCost(Record):
    """What one action of the plan costs."""

    address: str
    """The change's display address."""
    template: str | None = None
    region: str | None = None
    build_hours: float | None = None
    """A build: its expected duration (the last build of this address, else the default)."""
    build: float | None = None
    """A build: one-off, the build instance's hourly price × build_hours."""
    storage_gib: float | None = None
    monthly: float | None = None
    """Storage per month this action adds (a build or copy) or ends (a delete) at once."""


@dataclass(kw_only=True)
class TemplateCost(Record):
    """The storage a template's images and copies take, now and at full retention."""

    template: str
    image_gib: float | None = None
    size_source: str = ""
    """``last build`` or ``estimate: …`` (no image built yet)."""
    retain: int | None = None
    """Generations kept at full retention (None: the template leaves the configuration)."""
    regions: list[str] = field(default_factory=list)
    """Where each generation is stored: the home region first, then the copies."""
    gib_before: float | None = None
    gib_after: float | None = None
    monthly_before: float | None = None
    """The images and copies in state now, per month."""
    monthly_after: float | None = None
    """retain × image_gib × the storage price of each region, per month (0 when the template goes)."""


@dataclass(kw_only=True)
class PlanCost(Record):
    """What applying a plan costs: builds once, storage per month before and after."""

    currency: str = ""
    """ISO 4217; empty when every provider is free (local: disk usage only)."""
    build: float | None = None
    """One-off: every build of the plan."""
    monthly_before: float | None = None
    monthly_after: float | None = None
    monthly_change: float | None = None
    gib_before: float | None = None
    gib_after: float | None = None
    free: bool = False
    """Every price used was zero (the local provider): disk usage is what there is to show."""
    complete: bool = True
    """False when a price was unavailable: the sums leave out what could not be priced (notes say what)."""
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """Where the prices come from."""
    actions: list[ActionCost] = field(default_factory=list)
    templates: list[TemplateCost] = field(default_factory=list)


@dataclass(kw_only=True)
class SourceRef(Record):
    """The configuration block a change comes from."""

    filename: str
    line: int
    column: int = 1
    block: str
    """The address of the block: template.web, distribution.prod."""
    attributes: dict[str, int] = field(default_factory=dict)
    """Line of each attribute of the block (same file)."""
    attribute: str | None = None
    """The attribute that asks for the change (a share: the distribution's ``accounts``)."""

    def pos(self, attribute: str | None = None) -> SourcePos:
        """The attribute's line when the block sets it, else the block's."""
        for name in (attribute, self.attribute):
            if name and name in self.attributes:
                return SourcePos(self.filename, self.attributes[name], 1)
        return SourcePos(self.filename, self.line, self.column)
