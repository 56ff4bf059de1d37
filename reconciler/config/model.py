"""The evaluated configuration: what the user declared, with for_each expanded and every
expression evaluated, except values only known after apply (see ``unknown``).

This is plain data. The loader (``imgb.reconciler.config.load``) produces it; the content checks,
the graph builder and the views read it. Frozen dataclasses, not pydantic models: nothing here is
decoded from outside (the loader checks and converts every value first), and building pydantic's
validators cost every command more time than a small configuration's whole validate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from imgb.addresses import block_address
from imgb.diagnostics import SourcePos


@dataclass(frozen=True, kw_only=True)
class TextOrigin:
    """Where line 1 of a text value (content, build, test) stands in the user's files.

    For a heredoc it is the line after ``<<EOT``; for ``file("x")`` it is x:1; for a quoted string
    it is the attribute's line. ``None`` where the text was computed and has no single origin.
    """

    filename: str
    line: int

    def pos(self, text_line: int) -> SourcePos:
        """The position of 1-based line ``text_line`` of the text."""
        return SourcePos(self.filename, self.line + text_line - 1, 1)


@dataclass(frozen=True, kw_only=True)
class BackendConfig:
    """The ``imgb { backend "TYPE" { ... } }`` block: where the state is kept."""

    type: str = "local"
    """A backend type registered as an ``imgb.backends`` entry point (imgb's own: local, pg)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """The block's attributes as written (the backend type supplies its defaults)."""
    sensitive: tuple[str, ...] = ()
    """The values of its sensitive settings (a connection string): masked like sensitive variables."""
    pos: SourcePos | None = None


@dataclass(frozen=True, kw_only=True)
class ProviderConfig:
    """A ``provider`` block, alias included."""

    type: str
    """A provider type registered as an ``imgb.providers`` entry point (imgb's own: local, alicloud)."""
    alias: str | None = None
    region: str
    """The home region: components and templates live here, builds run here."""
    attrs: dict[str, Any] = field(default_factory=dict)
    """Every other attribute as evaluated (local: root; alicloud: profile, endpoint): the
    provider's settings."""
    pos: SourcePos | None = None

    @property
    def key(self) -> str:
        """How blocks refer to it: local, alicloud, alicloud.intl."""
        return f"{self.type}.{self.alias}" if self.alias else self.type


@dataclass(frozen=True, kw_only=True)
class Variable:
    """A ``variable`` block with its settled value."""

    name: str
    type: str = "any"
    """The type constraint as written: string, list(string), object({...}), any."""
    description: str = ""
    sensitive: bool = False
    value: Any = None
    """The final value after precedence and type conversion."""
    pos: SourcePos | None = None


@dataclass(frozen=True, kw_only=True)
class Component:
    """One component instance (for_each already expanded)."""

    name: str
    key: str | None = None
    """The for_each key, or None."""
    provider: str
    """A ProviderConfig.key."""
    version: str | None = None
    """x.y.z, or None when imgb manages versions."""
    type: Literal["Build", "Test"] = "Build"
    system_type: Literal["Linux", "Windows"] = "Linux"
    description: str = ""
    content: str
    content_origin: TextOrigin | None = None
    tags: dict[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    """Addresses (as written, e.g. component.base) of explicit dependencies."""
    pos: SourcePos
    attr_pos: dict[str, SourcePos] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return block_address("component", self.name, self.key)


@dataclass(frozen=True, kw_only=True)
class DistributionRef:
    """A template's reference to a distribution, with the distribution's targets."""

    address: str
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Template:
    """One template instance (for_each already expanded).

    ``build`` and ``test`` are the evaluated command text. A reference whose value is only known
    after apply (``${component.nginx.id}``) stands in the text as ``unknown.marker(ref)``.
    """

    name: str
    key: str | None = None
    provider: str
    description: str = ""
    base_image: str | None = None
    base_image_family: str | None = None
    build: str = ""
    build_origin: TextOrigin | None = None
    test: str = ""
    test_origin: TextOrigin | None = None
    instance_type: str | None = None
    system_disk_size: int = 40
    internet_max_bandwidth_out: int = 0
    vswitch_id: str | None = None
    delete_instance_on_failure: bool = True
    image_name: str | None = None
    image_family: str | None = None
    image_description: str | None = None
    image_tags: dict[str, str] = field(default_factory=dict)
    distribute: tuple[DistributionRef, ...] = ()
    retain: int = 3
    tags: dict[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    pos: SourcePos
    attr_pos: dict[str, SourcePos] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return block_address("template", self.name, self.key)


@dataclass(frozen=True, kw_only=True)
class Distribution:
    """A ``distribution`` block (one instance of its ``for_each``): where images go and who gets them."""

    name: str
    key: str | None = None
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    pos: SourcePos
    attr_pos: dict[str, SourcePos] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return block_address("distribution", self.name, self.key)


@dataclass(frozen=True, kw_only=True)
class Output:
    """An ``output`` block."""

    name: str
    description: str = ""
    sensitive: bool = False
    expression: Any = None
    """The unevaluated expression (config AST node); evaluated against state after apply."""
    value: Any = None
    """The value at plan time; may hold unknowns."""
    pos: SourcePos


@dataclass(frozen=True, kw_only=True)
class Moved:
    """``moved { from = template.web  to = template.frontend }``: the objects recorded under
    ``from_address`` belong to ``to_address`` now (a whole block, or one for_each instance)."""

    from_address: str
    to_address: str
    pos: SourcePos


@dataclass(frozen=True, kw_only=True)
class Removed:
    """``removed { from = template.legacy  lifecycle { destroy = false } }``: the block is gone
    from the configuration on purpose; ``destroy`` false forgets its objects without deleting them."""

    from_address: str
    destroy: bool = True
    pos: SourcePos


@dataclass(frozen=True, kw_only=True)
class Import:
    """``import { to = component.hardening  id = "ic-..." }``: adopt an existing object."""

    to_address: str
    id: str
    pos: SourcePos


@dataclass(frozen=True, kw_only=True)
class Config:
    """The loaded configuration: every block of the directory's files, evaluated and expanded."""

    directory: str
    files: tuple[str, ...] = ()
    """The *.imgb.hcl files read, in order, relative to ``directory``."""
    required_version: str | None = None
    policy_paths: tuple[str, ...] | None = None
    """``imgb { policy_paths = [...] }``: Rego files or directories, relative to ``directory``
    (None: the ``policy`` directory when there is one)."""
    backend: BackendConfig = field(default_factory=BackendConfig)
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    """By address: component.nginx, component.agent["x"]."""
    templates: dict[str, Template] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    sensitive_values: tuple[str, ...] = ()
    """String forms of every sensitive value, so views and logs can mask them."""
    file_digests: dict[str, str] = field(default_factory=dict)
    """sha256 of every file read through file()/templatefile()/filesha256, by relative path."""
    moved: tuple[Moved, ...] = ()
    removed: tuple[Removed, ...] = ()
    imports: tuple[Import, ...] = ()
    workspace: str = "default"
    """The selected workspace: ``imgb.workspace`` (Terraform's ``terraform.workspace``)."""

    def provider(self, key: str) -> ProviderConfig:
        return self.providers[key]

