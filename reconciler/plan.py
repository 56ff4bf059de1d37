"""Plans: the reviewed list of changes that ``imgb apply`` carries out. Plain data.

A plan is produced by ``imgb.reconciler.differ.diff`` (pure) and rendered by ``imgb.reconciler.views``.
Saved plans (``imgb plan --out``) are this model as JSON plus an integrity digest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from imgb import digests
from imgb.addresses import Address, Kind
from imgb.reconciler.guardrails.figures import PlanCost, SourceRef
from imgb.reconciler.masking import fill_placeholders
from imgb.records import Record

SAVED_FORMAT_VERSION = "1.1"
"""Saved plan files (``imgb plan --out``): 1.1 records what apply needs to execute them alone."""
TEST_FAILED_WARNING = "Image failed its tests"
"""The plan's warning when the image the configuration asks for failed its tests (docs/lifecycle.md, I4)."""


class Action(StrEnum):
    NOOP = "no-op"
    CREATE = "create"
    """For an image: build it."""
    REPLACE = "replace"
    DELETE = "delete"
    REUSE = "reuse"
    """An image: make a retained image current again, without a build (a rollback)."""
    RESUME = "resume"
    """An operation left in flight by an interrupted apply: adopt and finish it."""
    FORGET = "forget"
    """Refresh found the object gone: drop it from state."""


FORGOTTEN = "removed block with destroy = false: imgb forgets it, the object is not deleted"
"""The reason of a FORGET change made by a removed block (the others: refresh found it gone)."""

SYMBOLS = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.REUSE: "↺",
    Action.RESUME: "…",
    Action.FORGET: "!",
}


@dataclass(kw_only=True)
class Change(Record):
    """One thing apply does (or, for a no-op, leaves as it is), and why."""

    address: str
    """The current-generation address (image.web, copy.web["r"])."""
    kind: Kind
    action: Action
    provider: str
    template: str | None = None
    image_hash: str | None = None
    """image/copy/share: the generation this change is about."""
    retained: bool = False
    """The change is about a retained (non-current) image generation."""
    reasons: list[str] = field(default_factory=list)
    """Why, for people: 'component.nginx content changed'. Never used for decisions."""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    after_unknown: list[str] = field(default_factory=list)
    """Attributes of ``after`` that are known only after apply."""
    replace_paths: list[str] = field(default_factory=list)
    """Attributes whose change forces the replacement."""
    prior_id: str | None = None
    """The id of the existing object (deletes, replacements, no-ops)."""
    depends_on: list[str] = field(default_factory=list)
    """Addresses of resources this one needs (desired side)."""
    sensitive_after: dict[str, Any] | None = None
    """``after`` with each sensitive value as a numbered placeholder (``masking.Placeholders``), for
    apply to fill in with the values given again; None when ``after`` holds none."""
    create_before_destroy: bool = True
    eta_s: float | None = None
    """Expected duration, from the last time this address was built or copied."""
    previous_address: str | None = None
    """A moved block moved the object here from this address (Terraform's previous_address)."""
    importing: str | None = None
    """An import block adopts the object with this id; ``before`` holds what was read."""

    @property
    def addr(self) -> Address:
        return Address.parse(self.address)

    @property
    def display_address(self) -> str:
        if self.image_hash and self.image_hash.startswith("deposed:"):
            return f"{self.address} (deposed {self.prior_id})"
        if self.retained and self.image_hash:
            return str(self.addr.as_retained(self.image_hash[:8]))
        return self.address

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.address, self.image_hash)

    def is_change(self) -> bool:
        """Something to apply: an action, or a move or import to record."""
        return self.action is not Action.NOOP or self.previous_address is not None or self.importing is not None


@dataclass(kw_only=True)
class Rehash(Record):
    """A moved component renamed an input of an image's content hash: the image recorded under
    ``from_hash`` (with its copies and shares) is recorded under ``to_hash``, not built again."""

    template: str
    from_hash: str
    to_hash: str
    hash_inputs: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class Move(Record):
    """A moved block that moves something recorded in state: applied before the actions."""

    from_address: str
    to_address: str


@dataclass(kw_only=True)
class Secret(Record):
    """A sensitive value a saved plan needs, without the value."""

    verifier: str
    hint: int
    """Its position among the configuration's sensitive values (sorted): where apply looks first."""


@dataclass(kw_only=True)
class PinnedBase(Record):
    """The base image id a template's build uses, fixed when the plan is made."""

    template: str
    image: str | None = None
    family: str | None = None
    image_id: str


@dataclass(kw_only=True)
class Plan(Record):
    """What apply will do: the changes, and what it needs to check that the plan is still right."""

    format_version: str = SAVED_FORMAT_VERSION
    imgb_version: str = ""
    mode: str = "normal"
    """normal, destroy or refresh-only."""
    prior_serial: int | None = None
    prior_lineage: str | None = None
    prior_state_existed: bool = False
    files: dict[str, str] = field(default_factory=dict)
    """The configuration files the plan was made from -> their sha256."""
    read_files: dict[str, str] = field(default_factory=dict)
    """The files the configuration reads (file(), templatefile(), COPY sources) -> their sha256."""
    variables: dict[str, Any] = field(default_factory=dict)
    """The values of the non-sensitive variables the plan was made with: apply uses them."""
    sensitive_variables: dict[str, str] = field(default_factory=dict)
    """Sensitive variables -> a verifier of the value the plan was made with (``masking.verifier``);
    their values are not written, apply asks for them again."""
    secrets: list[Secret] = field(default_factory=list)
    """The sensitive values the changes hold as placeholders (``Change.sensitive_after``), by number."""
    pinned_bases: list[PinnedBase] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    rehashed: list[Rehash] = field(default_factory=list)
    current_after: dict[str, str | None] = field(default_factory=dict)
    """Template address -> content hash of its current image once applied (None: no image)."""
    targets: list[str] = field(default_factory=list)
    replace: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    refreshed: bool = True
    drift: list[str] = field(default_factory=list)
    """Addresses refresh found changed or gone outside imgb."""
    outputs: dict[str, Any] = field(default_factory=dict)
    cost: PlanCost | None = None
    """What applying costs (issue 21): builds, storage before and after; None when not estimated."""
    sources: dict[str, SourceRef] = field(default_factory=dict)
    """Change address -> the configuration block that asks for it (policy diagnostics point there)."""

    def executable(self, change: Change, secrets: list[str]) -> dict[str, Any]:
        """What apply gives the provider for ``change``: the recorded values, with the sensitive
        ones (``secrets``, in the order of ``self.secrets``) filled in."""
        if change.sensitive_after is None:
            return dict(change.after or {})
        filled: dict[str, Any] = fill_placeholders(change.sensitive_after, secrets)
        return filled

    def actionable(self) -> list[Change]:
        return [c for c in self.changes if c.is_change()]

    def counts(self) -> dict[str, int]:
        add = sum(1 for c in self.changes if c.action in (Action.CREATE, Action.REPLACE, Action.RESUME))
        change = sum(1 for c in self.changes if c.action is Action.REUSE)
        destroy = sum(1 for c in self.changes if c.action in (Action.DELETE, Action.REPLACE))
        builds = sum(
            1
            for c in self.changes
            if c.kind is Kind.IMAGE and c.action in (Action.CREATE, Action.REPLACE, Action.RESUME)
        )
        copies = sum(
            1 for c in self.changes if c.kind is Kind.COPY and c.action in (Action.CREATE, Action.REPLACE, Action.RESUME)
        )
        shares = sum(
            1 for c in self.changes if c.kind is Kind.SHARE and c.action in (Action.CREATE, Action.REPLACE, Action.RESUME)
        )
        unshares = sum(1 for c in self.changes if c.kind is Kind.SHARE and c.action is Action.DELETE)
        forget = sum(1 for c in self.changes if c.action is Action.FORGET)
        imports = sum(1 for c in self.changes if c.importing is not None)
        return {
            "import": imports,
            "add": add,
            "change": change,
            "destroy": destroy,
            "builds": builds,
            "copies": copies,
            "shares": shares,
            "unshares": unshares,
            "forget": forget,
        }

    # -- saved plan files ------------------------------------------------------------------
    def to_file_bytes(self) -> bytes:
        body = self.model_dump(mode="json")
        payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = digests.sha256_hex(payload.encode())
        return (json.dumps({"imgb_plan": SAVED_FORMAT_VERSION, "sha256": digest, "plan": body}, sort_keys=True) + "\n").encode()

    @classmethod
    def from_file_bytes(cls, data: bytes) -> Plan:
        """Parse a saved plan; raises ValueError with a user-facing message when it is not one,
        is from another format version, or was modified."""
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"the file is not a saved imgb plan (not JSON: {e.msg if hasattr(e, 'msg') else e})") from None
        except RecursionError:
            raise ValueError("the file is not a saved imgb plan (it nests too deeply)") from None
        if not isinstance(doc, dict) or "imgb_plan" not in doc or "plan" not in doc:
            raise ValueError("the file is not a saved imgb plan")
        if doc["imgb_plan"] != SAVED_FORMAT_VERSION:
            raise ValueError(f"the plan file has format {doc['imgb_plan']!r}; this imgb reads {SAVED_FORMAT_VERSION!r}")
        payload = json.dumps(doc["plan"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if digests.sha256_hex(payload.encode()) != doc.get("sha256"):
            raise ValueError("the plan file was modified after it was written (its checksum does not match)")
        try:
            plan = cls.model_validate(doc["plan"])
        except Exception as e:  # DecodeError (pydantic's message): the structure is not a plan
            raise ValueError(f"the plan file is malformed: {str(e).splitlines()[0]}") from None
        if plan.format_version != SAVED_FORMAT_VERSION:
            raise ValueError(f"the plan has format {plan.format_version!r}; this imgb reads {SAVED_FORMAT_VERSION!r}")
        return plan
