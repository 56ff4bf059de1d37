"""Load a configuration directory into ``imgb.reconciler.config.model.Config``.

Order of work: parse every ``*.imgb.hcl`` (through the cache), check block and attribute names
against the schema, settle variable values, then evaluate blocks lazily: a reference to
``local.x`` or ``component.y`` evaluates that block on first use, which gives dependency order for
free and finds cycles. Every problem becomes a diagnostic; one run reports them all.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from imgb import __version__, plugins
from imgb.diagnostics import Diagnostics, SourcePos, did_you_mean
from imgb.fsops import read_inside
from imgb.reconciler.config import ast
from imgb.reconciler.config.blocks import (
    Instance,
    build_component,
    build_distribution,
    build_template,
    check_version,
)
from imgb.reconciler.config.cache import parse_cached
from imgb.reconciler.config.eval import Context, EvalError, Evaluator
from imgb.reconciler.config.gc_pause import gc_paused
from imgb.reconciler.config.marks import mark, strip
from imgb.reconciler.config.model import BackendConfig, Config, Output, ProviderConfig, Variable
from imgb.reconciler.config.refactoring import build_refactoring
from imgb.reconciler.config.schema import (
    NAME_PATTERN,
    REFACTOR_BLOCKS,
    TOP,
    BlockSpec,
    backend_spec,
    provider_default,
    provider_spec,
)
from imgb.reconciler.config.types import STRING
from imgb.reconciler.config.values import (
    INVALID,
    ConversionError,
    MapV,
    deep_unknown,
    describe,
    is_invalid,
    is_null,
    leaf_strings,
    plain,
    to_bool,
    to_int,
    to_string,
)
from imgb.reconciler.config.variables import Declared, assign_values, check_validations, declare
from imgb.unknown import Unknown, marker

_NAME_RE = re.compile(NAME_PATTERN + r"\Z")
_KINDS = ("component", "template", "distribution")
DEFAULT_PROVIDER = "local"
"""The provider of a configuration without provider blocks."""


def load_config(
    directory: str | os.PathLike[str],
    *,
    var_args: Sequence[str] = (),
    var_files: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    unknown_variables: bool = False,
) -> tuple[Config | None, Diagnostics]:
    """Read, check and evaluate the configuration in ``directory``. Never raises for bad input.
    ``fixed``: variable values a saved plan was made with (``variables.assign_values``).
    ``unknown_variables``: a required variable without a value is unknown rather than an error,
    and what depends on it is checked as far as it can be (``imgb validate``)."""
    loader = _Loader(Path(directory), dict(os.environ if env is None else env))
    loader.unknown_variables = unknown_variables
    with gc_paused():
        config = loader.run(var_args, var_files, fixed)
    return (None if loader.diags.has_errors() else config), _masked(loader.diags, loader.sensitive())


class Scope:
    """A loaded configuration's evaluation scope, for expressions given later (imgb console)."""

    def __init__(self, loader: _Loader):
        self.loader = loader
        self.seen = len(loader.diags)

    def evaluate(self, expr: ast.Expr) -> Any:
        return self.loader.ev.eval(expr)

    def take_diagnostics(self) -> list[Any]:
        new = list(self.loader.diags)[self.seen :]
        self.seen = len(self.loader.diags)
        return new


def load_scope(
    directory: str | os.PathLike[str],
    *,
    var_args: Sequence[str] = (),
    var_files: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    known: Mapping[str, Any] | None = None,
    extra_functions: Mapping[str, Any] | None = None,
) -> tuple[Scope | None, Diagnostics]:
    """Load the configuration and keep its scope: ``known`` holds values apply produced (ids by
    reference, ``component.x.id``) to use instead of unknowns."""
    loader = _Loader(Path(directory), dict(os.environ if env is None else env), known or {})
    loader.ctx.plan_time = None  # as in terraform console, plantimestamp() is not known yet
    with gc_paused():
        config = loader.run(var_args, var_files)
    diags = _masked(loader.diags, loader.sensitive())
    if config is None or loader.diags.has_errors():
        return None, diags
    loader.ctx.extra_functions.update(extra_functions or {})  # for console input only, not the configuration
    return Scope(loader), diags


def load_backend(directory: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> tuple[BackendConfig | None, Diagnostics]:
    """Only the backend of the ``imgb`` block, for state commands while the rest of the
    configuration has errors (missing variable values, say). None with diagnostics when the
    block itself cannot be read: using the default backend instead would show, or overwrite,
    another state."""
    loader = _Loader(Path(directory), dict(os.environ if env is None else env))
    for p in sorted(loader.directory.glob("*.imgb.hcl")):
        try:
            body, problems = parse_cached(read_inside(loader.directory, p.name), p.name, loader.env)
        except OSError as exc:
            loader.diags.error("Failed to read file", f'"{p.name}" cannot be read: {exc.strerror}.', SourcePos(p.name, 1))
            return None, loader.diags
        if body is None:
            loader.diags.extend(problems)
            return None, loader.diags
        loader.collect(body)
    loader.diags = Diagnostics()  # errors elsewhere in the files are not the backend's
    _, backend = loader.imgb_block()
    return (None if loader.diags.has_errors() else backend), loader.diags


def _choices(names: list[str], word: str = "or") -> str:
    """\"a\", \"b\" or \"c\"."""
    quoted = [f'"{n}"' for n in names]
    return f" {word} ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else "".join(quoted)


def _masked(diags: Diagnostics, secrets: set[str]) -> Diagnostics:
    """Diagnostics with sensitive values blanked: messages may quote a value that failed a check."""
    if not secrets:
        return diags
    ordered = sorted(secrets, key=len, reverse=True)

    def mask(text: str) -> str:
        for secret in ordered:
            text = text.replace(secret, "(sensitive value)")
        return text

    out = Diagnostics()
    for d in diags:
        out.add(dataclasses.replace(d, summary=mask(d.summary), detail=mask(d.detail)))
    return out


class _Loader:
    def __init__(self, directory: Path, env: dict[str, str], known: Mapping[str, Any] | None = None):
        self.directory = directory
        self.env = env
        self.known = known or {}
        self.unknown_variables = False
        self.unknown_blocks: set[str] = set()
        """validate: blocks whose for_each depends on a variable without a value."""
        self.diags = Diagnostics()
        self.blocks: dict[str, dict[str, ast.Block]] = {k: {} for k in TOP}
        self.locals: dict[str, ast.Attribute] = {}
        self.variables: dict[str, Declared] = {}
        self.providers: dict[str, ProviderConfig] = {}
        self.ctx = Context(directory, self.resolve)
        self.ev = Evaluator(self.ctx)
        self.done: dict[str, Any] = {}
        self.stack: list[str] = []
        self.reported_cycles: set[frozenset[str]] = set()
        self.in_cycle: set[str] = set()
        self.instances: dict[str, list[Instance]] = {}
        self.refactoring: list[ast.Block] = []
        """moved, removed and import blocks, in file order."""

    def sensitive(self) -> set[str]:
        """String forms of the sensitive variables' values (as far as they were settled)."""
        out: set[str] = set()
        for decl in self.variables.values():
            if decl.sensitive:
                out.update(s for s in leaf_strings(decl.value) if s)
        return out

    # --- reading ---------------------------------------------------------------------------------
    def run(self, var_args: Sequence[str], var_files: Sequence[str], fixed: Mapping[str, Any] | None = None) -> Config | None:
        if not self.directory.is_dir():
            self.diags.error(
                "Configuration directory not found",
                f'"{self.directory}" is not a directory. Run imgb in the directory that holds the *.imgb.hcl '
                "files, or pass it with -C DIR.",
            )
            return None
        files = sorted(p.name for p in self.directory.glob("*.imgb.hcl") if p.is_file())
        if not files:
            self.diags.error(
                "No configuration files",
                f'The directory "{self.directory}" contains no *.imgb.hcl files. Create one (for example '
                "main.imgb.hcl), or run imgb in the directory that holds them.",
            )
            return None
        bodies: list[ast.Body] = []
        for name in files:
            try:
                # Opened below the directory: a committed link to a secret elsewhere is refused unread.
                data = read_inside(self.directory, name)
            except OSError as exc:
                self.diags.error("Failed to read file", f'"{name}" cannot be read: {exc.strerror}.', SourcePos(name, 1))
                continue
            body, problems = parse_cached(data, name, self.env)
            self.diags.extend(problems)
            if body is not None:
                bodies.append(body)
        if self.diags.has_errors():
            return None  # evaluating a partial configuration would report phantom missing blocks
        for body in bodies:
            self.collect(body)

        for name, block in sorted(self.blocks["variable"].items()):
            self.variables[name] = declare(block, self.diags, self.directory)
        assign_values(
            self.variables, self.directory, var_args, var_files, self.env, self.diags, fixed, self.unknown_variables
        )
        for name in sorted(self.variables):
            check_validations(self.variables[name], self.ev, self.diags)

        # Providers (and every block after them) see variables and locals through the same lazy
        # reference graph as everything else, as in Terraform; only the backend is literal.
        if not self.blocks["provider"]:
            region = provider_default(DEFAULT_PROVIDER, "region", self.env)
            self.providers[DEFAULT_PROVIDER] = ProviderConfig(type=DEFAULT_PROVIDER, region=region)
        else:
            for block in self.blocks["provider"].values():
                self.provider(block)

        required_version, backend = self.imgb_block()
        policy_paths = self.policy_paths()
        for name in sorted(self.locals):
            self.node_value(f"local.{name}", self.locals[name].pos)
        for kind in _KINDS:
            for name in sorted(self.blocks[kind]):
                self.node_value(f"{kind}.{name}", self.blocks[kind][name].pos)
        outputs = {name: out for name, block in sorted(self.blocks["output"].items()) if (out := self.output(block))}

        known = self.known_addresses()
        components, templates, distributions = {}, {}, {}
        for name in sorted(self.blocks["distribution"]):
            for inst in self.instances.get(f"distribution.{name}", []):
                d = build_distribution(inst, known, self.diags, self.unknown_variables)
                if d is not None:
                    distributions[d.address] = d
        for name in sorted(self.blocks["component"]):
            for inst in self.instances.get(f"component.{name}", []):
                c = build_component(inst, self.provider_key(inst), known, self.ev, self.diags, self.unknown_variables)
                if c is not None:
                    components[c.address] = c
        for name in sorted(self.blocks["template"]):
            for inst in self.instances.get(f"template.{name}", []):
                t = build_template(inst, self.provider_key(inst), known, self.ev, self.diags, self.unknown_variables)
                if t is not None:
                    templates[t.address] = t
        moved, removed, imports = build_refactoring(
            self.refactoring,
            {f"{k}.{n}" for k in _KINDS for n in self.blocks[k]},
            {c for c in components} | {t for t in templates},
            lambda expr: (lambda v: None if is_null(v) else v)(strip(self.ev.eval(expr, {}))),
            self.diags,
        )
        self.warn_volatile(components, templates)
        if self.diags.has_errors():
            return None

        sensitive = self.sensitive()
        for out in outputs.values():
            if out.sensitive:
                sensitive.update(s for s in leaf_strings(out.value) if s)
        sensitive.update(s for s in backend.sensitive if s)
        return Config(
            directory=str(self.directory),
            files=tuple(files),
            required_version=required_version,
            policy_paths=policy_paths,
            backend=backend,
            providers=dict(sorted(self.providers.items())),
            variables={
                n: Variable(
                    name=n, type=d.type_text, description=d.description, sensitive=d.sensitive,
                    value=plain(d.value),
                    pos=d.block.pos,
                )
                for n, d in sorted(self.variables.items())
            },
            locals={n: plain(strip(self.done.get(f"local.{n}"))) for n in sorted(self.locals)},
            components=components,
            templates=templates,
            distributions=distributions,
            outputs=outputs,
            sensitive_values=tuple(sorted(sensitive)),
            file_digests=dict(sorted(self.ctx.file_digests.items())),
            workspace=self.done.get("imgb.workspace") or self.selected_workspace(),
            moved=moved,
            removed=removed,
            imports=imports,
        )

    def warn_volatile(self, components: dict[str, Any], templates: dict[str, Any]) -> None:
        """A value that changes on every run (timestamp(), uuid()...) inside what an image's content
        hash covers rebuilds the image at every apply: say so, at the call."""
        if not self.ctx.volatile:
            return
        hashed: list[tuple[str, str]] = []
        for c in components.values():
            hashed += [(c.address, c.content), (c.address, c.version or "")]
        for t in templates.values():
            hashed += [(t.address, t.build), (t.address, t.test), (t.address, t.base_image or ""),
                       (t.address, t.base_image_family or ""), (t.address, t.instance_type or "")]  # fmt: skip
        reported: set[tuple[str, str]] = set()
        for name, pos, value in self.ctx.volatile:
            for address, text in hashed:
                if value and value in text and (address, name) not in reported:
                    reported.add((address, name))
                    self.diags.warning(
                        "Value changes on every run",
                        f"{name}() gives a new value on every run, and it reaches the content of {address}, "
                        "which decides its image's content hash: every plan will build a new image. Use a "
                        "variable or a fixed value instead.",
                        pos,
                        address,
                    )

    def collect(self, body: ast.Body) -> None:
        """Sort top-level blocks by type, reporting unknown and duplicate ones."""
        for item in body.items:
            if isinstance(item, ast.Attribute):
                self.diags.error(
                    "Unsupported argument",
                    f'An argument named "{item.name}" is not expected at the top level of a configuration file. '
                    "Attributes belong inside blocks (locals { ... } for named values).",
                    item.pos,
                )
                continue
            block = item
            spec = TOP.get(block.type)
            if spec is None:
                self.diags.error(
                    "Unsupported block type",
                    f'Blocks of type "{block.type}" are not expected here.{did_you_mean(block.type, TOP)}',
                    block.pos,
                )
                continue
            if not self.check_labels(block, spec):
                continue
            if block.type != "provider":  # checked against its type's own schema in provider()
                self.check_body(block, spec, block.type)
            if block.type in REFACTOR_BLOCKS:
                self.refactoring.append(block)
                continue
            if block.type == "locals":
                for attr in block.body.attributes:
                    if not _NAME_RE.match(attr.name):
                        self.invalid_name("local value", attr.name, attr.pos)
                    elif attr.name in self.locals:
                        self.duplicate("local value", attr.name, attr.pos, self.locals[attr.name].pos)
                    else:
                        self.locals[attr.name] = attr
                continue
            key = block.type if not block.labels else block.labels[0]
            if block.type == "provider":
                key = f"{block.labels[0]}#{block.pos}"  # the alias decides duplicates; see provider()
            existing = self.blocks[block.type].get(key)
            if existing is not None:
                if block.type == "imgb":
                    self.diags.error(
                        "Duplicate imgb block",
                        f"An imgb block was already declared at {existing.pos}. Only one is allowed; merge them.",
                        block.pos,
                    )
                else:
                    self.duplicate(block.type, key, block.pos, existing.pos)
                continue
            self.blocks[block.type][key] = block

    def check_labels(self, block: ast.Block, spec: BlockSpec) -> bool:
        want = len(spec.labels)
        if len(block.labels) < want:
            self.diags.error(
                f"Missing {spec.labels[0]} for {block.type}",
                f'A {block.type} block needs a {spec.labels[0]} label, as in {block.type} "example" {{ ... }}.',
                block.pos,
            )
            return False
        if len(block.labels) > want:
            self.diags.error(
                "Extraneous label",
                f"A {block.type} block takes {want or 'no'} label{'s' if want != 1 else ''}; remove "
                f'"{block.labels[want]}".',
                block.label_pos[want] if len(block.label_pos) > want else block.pos,
            )
            return False
        if want and spec.labels[0] == "name" and not _NAME_RE.match(block.labels[0]):
            self.invalid_name(block.type, block.labels[0], block.pos)
            return False
        return True

    def invalid_name(self, what: str, name: str, pos: SourcePos) -> None:
        self.diags.error(
            f"Invalid {what} name",
            f'"{name}" is not a valid name: a name starts with a letter or underscore and holds only letters, '
            "digits, underscores and dashes.",
            pos,
        )

    def duplicate(self, what: str, name: str, pos: SourcePos, other: SourcePos) -> None:
        shown = f' "{name}"'
        self.diags.error(
            f"Duplicate {what}{shown}",
            f"A {what}{shown} was already declared at {other}. Names must be unique per block type; rename or "
            "remove one of them.",
            pos,
        )

    def check_body(self, block: ast.Block, spec: BlockSpec, context: str) -> None:
        """Unknown and duplicate attributes and nested blocks; missing required attributes."""
        seen: dict[str, SourcePos] = {}
        for attr in block.body.attributes:
            if attr.name in seen:
                self.diags.error(
                    "Duplicate argument",
                    f'The argument "{attr.name}" was already set at {seen[attr.name]}. Each argument may be set '
                    "only once.",
                    attr.pos,
                )
                continue
            seen[attr.name] = attr.pos
            if not spec.any_attrs and attr.name not in spec.attrs:
                self.diags.error(
                    "Unsupported argument",
                    f'An argument named "{attr.name}" is not expected in a {context} block.'
                    f"{did_you_mean(attr.name, spec.attrs)}",
                    attr.pos,
                )
        nested_seen: dict[str, SourcePos] = {}
        for nested in block.body.blocks:
            nspec = spec.blocks.get(nested.type)
            if nspec is None:
                hint = did_you_mean(nested.type, spec.blocks)
                if not hint and nested.type in spec.attrs:
                    hint = f' "{nested.type}" is an argument: write {nested.type} = ... instead.'
                self.diags.error(
                    "Unsupported block type",
                    f'Blocks of type "{nested.type}" are not expected in a {context} block.{hint}',
                    nested.pos,
                )
                continue
            if nested.type in nested_seen and nested.type not in spec.repeatable:
                self.diags.error(
                    f"Duplicate {nested.type} block",
                    f"A {nested.type} block was already declared at {nested_seen[nested.type]}; only one is allowed.",
                    nested.pos,
                )
                continue
            nested_seen[nested.type] = nested.pos
            if self.check_labels(nested, nspec):
                self.check_body(nested, nspec, nested.type)
        for name, a in spec.attrs.items():
            if a.required and name not in seen:
                self.diags.error(
                    "Missing required argument",
                    f'The argument "{name}" is required in a {context} block, but it is not set.',
                    block.pos,
                )

    # --- imgb, providers, outputs ----------------------------------------------------------------
    def attr_values(self, block: ast.Block, frame: dict[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for attr in block.body.attributes:
            try:
                out[attr.name] = self.ev.eval(attr.expr, frame)
            except EvalError as exc:
                self.diags.add(exc.diagnostic())
                out[attr.name] = INVALID
        return out

    def string_attr(
        self, values: dict[str, Any], name: str, block: ast.Block, required: bool = False
    ) -> str | None:
        v = strip(values.get(name))
        if v is INVALID:
            return None
        if is_null(v):
            if required and name in values:
                pos = next((a.pos for a in block.body.attributes if a.name == name), block.pos)
                self.diags.error(
                    "Required attribute is null",
                    f'The argument "{name}" is required, but the given value is null. Give it a value (a '
                    "variable used here may have no value or a null default).",
                    pos,
                )
            return None
        try:
            if isinstance(v, Unknown):
                if self.unknown_variables and _from_variable(v):
                    return marker(v.ref)  # validate: checked as far as it can be without the value
                raise ConversionError("the value is known only after apply")
            return to_string(v)
        except ConversionError as exc:
            pos = next((a.pos for a in block.body.attributes if a.name == name), block.pos)
            self.diags.error("Incorrect attribute value type", f'Inappropriate value for "{name}": {exc}.', pos)
            return None

    def literal_values(self, block: ast.Block, context: str) -> dict[str, Any]:
        """Attribute values that may not use references or functions: the backend is read before
        anything else (state commands need it while variables have no values), as in Terraform."""
        out: dict[str, Any] = {}
        for attr in block.body.attributes:
            culprit = next(
                (n for n in ast.walk(attr.expr) if isinstance(n, ast.Variable | ast.FunctionCall)), None
            )
            if culprit is not None:
                what, detail = (
                    ("Functions may not be called here", f"A {context} block cannot call functions")
                    if isinstance(culprit, ast.FunctionCall)
                    else ("Variables not allowed", f"A {context} block cannot refer to variables, locals or blocks")
                )
                self.diags.error(what, f"{detail}: its settings are read before anything else is evaluated. "
                                 "Write a literal value; for a connection string, use the environment "
                                 "variable IMGB_PG_CONN_STR.", culprit.pos)
                out[attr.name] = INVALID
                continue
            try:
                out[attr.name] = self.ev.eval(attr.expr)
            except EvalError as exc:
                self.diags.add(exc.diagnostic())
                out[attr.name] = INVALID
        return out

    def typed_attrs(self, block: ast.Block, spec: BlockSpec) -> tuple[dict[str, Any], dict[str, Any]]:
        """The block's attribute values as evaluated, and converted to their declared types (string,
        bool, int, string_map); a value of the wrong type is reported and left out."""
        values = self.attr_values(block)
        out: dict[str, Any] = {}
        for name, a in spec.attrs.items():
            if a.type == "string":
                out[name] = self.string_attr(values, name, block, a.required)
                continue
            v = values.get(name)
            if v is None or v is INVALID:
                continue
            try:
                if isinstance(v, Unknown):
                    raise ConversionError("the value is known only after apply")
                if a.type == "bool":
                    out[name] = to_bool(v)
                elif a.type == "int":
                    out[name] = to_int(v)
                elif a.type == "string_map":
                    if not isinstance(v, dict):
                        raise ConversionError("a map of strings is required")
                    out[name] = {str(k): to_string(x) for k, x in sorted(v.items())}
                else:
                    out[name] = v
            except ConversionError as exc:
                pos = next((x.pos for x in block.body.attributes if x.name == name), block.pos)
                self.diags.error("Incorrect attribute value type", f'Inappropriate value for "{name}": {exc}.', pos)
        return values, out

    def imgb_block(self) -> tuple[str | None, BackendConfig]:
        block = next(iter(self.blocks["imgb"].values()), None)
        if block is None:
            return None, BackendConfig()
        values = self.attr_values(block)
        required = self.string_attr(values, "required_version", block)
        if required is not None:
            problem = check_version(required, __version__)
            if problem:
                pos = next(a.pos for a in block.body.attributes if a.name == "required_version")
                self.diags.error("Unsupported imgb version", problem, pos)
        backend = BackendConfig()
        for nested in block.body.blocks:
            if nested.type != "backend" or not nested.labels:
                continue
            btype = nested.labels[0]
            bspec = backend_spec(btype)
            if bspec is None:
                self.diags.error(
                    "Unsupported backend type",
                    f'There is no backend "{btype}"; use {_choices(plugins.backend_types(own=True))}.'
                    f"{did_you_mean(btype, plugins.backend_types())}",
                    nested.pos,
                )
                continue
            self.check_body(nested, bspec, f'backend "{btype}"')
            bvalues = self.literal_values(nested, f'backend "{btype}"')
            settings: dict[str, Any] = {}
            for name, a in bspec.attrs.items():
                value = self.string_attr(bvalues, name, nested) if a.type == "string" else plain(strip(bvalues.get(name)))
                if value is not None and value is not INVALID:
                    settings[name] = value
            declared = getattr(plugins.backend_class(btype), "block", {})
            secrets = tuple(str(v) for n, v in settings.items() if n in declared and declared[n].sensitive)
            backend = BackendConfig(type=btype, settings=settings, sensitive=secrets, pos=nested.pos)
        return required, backend

    def policy_paths(self) -> tuple[str, ...] | None:
        """``imgb { policy_paths = [...] }``: where the Rego policies are (docs/guardrails.md)."""
        block = next(iter(self.blocks["imgb"].values()), None)
        attr = next((a for a in block.body.attributes if a.name == "policy_paths"), None) if block else None
        if attr is None:
            return None
        try:
            value = plain(strip(self.ev.eval(attr.expr, None)))
        except EvalError as exc:
            self.diags.add(exc.diagnostic())
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.diags.error("Incorrect attribute value type",
                             'Inappropriate value for "policy_paths": a list of paths (strings) is required, '
                             f"got {describe(value)}.", attr.pos)
            return None
        return tuple(value)

    def provider(self, block: ast.Block) -> None:
        ptype = block.labels[0]
        spec = provider_spec(ptype, self.env)
        if spec is None:
            self.diags.error(
                "Unsupported provider",
                f'There is no provider "{ptype}"; imgb has '
                f'{_choices(sorted(plugins.provider_types(own=True), key=lambda t: (t != DEFAULT_PROVIDER, t)), "and")}.'
                f"{did_you_mean(ptype, plugins.provider_types(self.env))}",
                block.pos,
            )
            return
        self.check_body(block, spec, f'provider "{ptype}"')
        values, typed = self.typed_attrs(block, spec)
        for nested in block.body.blocks:
            if nested.type in spec.blocks:  # unknown ones were reported by check_body
                typed[nested.type] = self.typed_attrs(nested, spec.blocks[nested.type])[1]
        alias = typed.get("alias")
        if alias is not None and not _NAME_RE.match(alias):
            self.invalid_name("provider alias", alias, block.pos)
            return
        region = typed.get("region") or provider_default(ptype, "region", self.env)
        if region is None:
            if "region" not in values:
                return  # a missing region was reported by check_body
            region = ""  # reported where it failed; registered still, so blocks using it add no errors
        attrs = {n: v for n, v in typed.items() if n not in ("region", "alias") and v is not None}
        config = ProviderConfig(type=ptype, alias=alias, region=region, attrs=attrs, pos=block.pos)
        existing = self.providers.get(config.key)
        if existing is not None:
            self.diags.error(
                f'Duplicate provider configuration "{config.key}"',
                f"A provider {config.key} was already configured at {existing.pos}. Give the second one a "
                'different alias (alias = "name") and refer to it as '
                f"{ptype}.name.",
                block.pos,
            )
            return
        self.providers[config.key] = config

    def provider_key(self, inst: Instance) -> str | None:
        attr = next((a for a in inst.block.body.attributes if a.name == "provider"), None)
        if attr is None:
            if not self.providers:
                return None  # every provider block was invalid, and reported
            if len(self.providers) == 1:
                return next(iter(self.providers))
            self.diags.error(
                "Provider required",
                f"Several providers are configured ({', '.join(sorted(self.providers))}), so {inst.kind} "
                f'"{inst.name}" must choose one, for example provider = {sorted(self.providers)[0]}.',
                inst.block.pos,
                inst.address,
            )
            return None
        if isinstance(attr.expr, ast.TemplateExpr) and all(isinstance(p, ast.LiteralValue) for p in attr.expr.parts):
            key = "".join(str(p.value) for p in attr.expr.parts if isinstance(p, ast.LiteralValue))
        else:
            trav = ast.traversal(attr.expr)
            if trav is None or any(not isinstance(s, str) for s in trav[1]) or len(trav[1]) > 1:
                self.diags.error(
                    "Invalid provider reference",
                    "The provider is a bare reference to a configured provider: provider = local or "
                    "provider = alicloud.intl.",
                    attr.pos,
                )
                return None
            key = ".".join([trav[0], *(str(s) for s in trav[1])])
        if key not in self.providers:
            self.diags.error(
                "Reference to undeclared provider",
                f'No provider "{key}" is configured. Configured: {", ".join(sorted(self.providers))}.'
                f"{did_you_mean(key, self.providers)}",
                attr.pos,
            )
            return None
        return key

    def output(self, block: ast.Block) -> Output | None:
        values = self.attr_values(block)
        expr = next((a.expr for a in block.body.attributes if a.name == "value"), None)
        if expr is None or is_invalid(values.get("value")):
            return None
        sensitive = False
        if "sensitive" in values and values["sensitive"] is not INVALID:
            try:
                sensitive = to_bool(strip(values["sensitive"]))
            except ConversionError as exc:
                self.diags.error("Incorrect attribute value type", f'Inappropriate value for "sensitive": {exc}.', block.pos)
        description = self.string_attr(values, "description", block) or ""
        return Output(
            name=block.labels[0], description=description, sensitive=sensitive, expression=expr,
            value=plain(strip(values["value"])), pos=block.pos,
        )

    # --- references and lazy evaluation ----------------------------------------------------------
    def known_addresses(self) -> set[str]:
        return {f"{k}.{n}" for k in _KINDS for n in self.blocks[k]} | {
            i.address for insts in self.instances.values() for i in insts
        }

    def selected_workspace(self) -> str:
        """The selected workspace (IMGB_WORKSPACE, .imgb/environment); "default" when neither can be
        read, which the state commands then report."""
        from imgb.diagnostics import DiagnosticError
        from imgb.state.backend import BackendError
        from imgb.state.names import selected_workspace

        try:
            return selected_workspace(self.directory, self.env)
        except (DiagnosticError, BackendError):
            return "default"

    def workspace(self, pos: SourcePos) -> str:
        """``imgb.workspace``: the selected workspace, read once."""
        from imgb.diagnostics import DiagnosticError
        from imgb.state.backend import BackendError
        from imgb.state.names import selected_workspace

        if "imgb.workspace" not in self.done:
            try:
                self.done["imgb.workspace"] = selected_workspace(self.directory, self.env)
            except DiagnosticError as e:  # .imgb/environment cannot be read
                raise EvalError("Invalid workspace", e.diagnostics.items[0].detail, pos, True) from None
            except BackendError as e:  # a name that is not a workspace name
                raise EvalError("Invalid workspace", str(e), pos, True) from None
        return str(self.done["imgb.workspace"])

    def resolve(self, root: str, name: str, pos: SourcePos) -> Any:
        if root == "imgb":
            if name == "workspace":
                return self.workspace(pos)
            raise EvalError("Unsupported attribute", f'imgb.{name} is not defined; imgb has "workspace".', pos, True)
        if root == "path":
            if name in ("module", "root"):
                return "."
            if name == "cwd":
                return str(self.directory.resolve())
            raise EvalError("Invalid path attribute", f'path.{name} is not defined; use path.module.', pos, True)
        if root == "var":
            d = self.variables.get(name)
            if d is None:
                if name in self.blocks["variable"]:
                    return INVALID
                raise EvalError(
                    "Reference to undeclared input variable",
                    f'An input variable named "{name}" has not been declared. Declare it with a variable "{name}" '
                    f"block.{did_you_mean(name, self.blocks['variable'])}",
                    pos,
                    static=True,
                )
            return mark(d.value) if d.sensitive and d.value is not INVALID else d.value
        if root == "local":
            if name not in self.locals:
                raise EvalError(
                    "Reference to undeclared local value",
                    f'A local value named "{name}" has not been declared.{did_you_mean(name, self.locals)}',
                    pos,
                    static=True,
                )
            return self.node_value(f"local.{name}", pos)
        if name not in self.blocks[root]:
            raise EvalError(
                f"Reference to undeclared {root}",
                f'A {root} named "{name}" has not been declared.{did_you_mean(name, self.blocks[root])}',
                pos,
                static=True,
            )
        return self.node_value(f"{root}.{name}", pos)

    def node_value(self, node: str, pos: SourcePos) -> Any:
        if node in self.done:
            return self.done[node]
        if node in self.stack:
            self.report_cycle(self.stack[self.stack.index(node) :])
            return INVALID
        self.stack.append(node)
        try:
            value = self.evaluate_node(node)
        finally:
            self.stack.pop()
        if node in self.in_cycle:
            value = INVALID
        self.done[node] = value
        return value

    def report_cycle(self, cycle: list[str]) -> None:
        self.in_cycle.update(cycle)
        if frozenset(cycle) in self.reported_cycles:
            return
        self.reported_cycles.add(frozenset(cycle))
        start = cycle.index(min(cycle))  # stable: begin at the smallest name, as Terraform does
        ordered = cycle[start:] + cycle[:start]
        first = ordered[0]
        kind, _, name = first.partition(".")
        pos = self.locals[name].pos if kind == "local" else self.blocks[kind][name].pos
        chain = " → ".join([*ordered, first])
        what = "local values" if all(n.startswith("local.") for n in ordered) else "blocks"
        if len(ordered) == 1:
            detail = f"{first} refers to itself. A value cannot depend on itself; remove the reference."
        else:
            detail = f"These {what} refer to each other in a cycle: {chain}. Break the cycle by removing one reference."
        self.diags.error(f"Cycle between {what}" if len(ordered) > 1 else "Self-referencing value", detail, pos)

    def evaluate_node(self, node: str) -> Any:
        kind, _, name = node.partition(".")
        if kind == "local":
            attr = self.locals[name]
            try:
                return self.ev.eval(attr.expr)
            except EvalError as exc:
                self.diags.add(exc.diagnostic())
                return INVALID
        block = self.blocks[kind][name]
        for_each = next((a for a in block.body.attributes if a.name == "for_each"), None)
        if for_each is None:
            inst = Instance(kind, name, None, block)
            self.instances[node] = [inst]
            inst.attrs = self.attr_values_except(block, {})
            return self.with_known(inst.value())
        items = self.for_each_items(for_each, kind, name)
        if items is None:
            self.instances[node] = []
            return Unknown(node) if node in self.unknown_blocks else INVALID
        instances = []
        result: dict[str, Any] = {}
        for key, each_value in items:
            frame = {"each": {"key": key, "value": each_value}}
            inst = Instance(kind, name, key, block, frame=frame)
            inst.attrs = self.attr_values_except(block, frame)
            instances.append(inst)
            result[key] = self.with_known(inst.value())
        self.instances[node] = instances
        return result

    def with_known(self, value: dict[str, Any]) -> dict[str, Any]:
        """An instance's value with the ids the state knows (imgb console)."""
        if self.known:
            for k in ("id", "image_ids"):
                u = value.get(k)
                if isinstance(u, Unknown) and u.ref in self.known:
                    got = self.known[u.ref]
                    value[k] = MapV(got, STRING) if isinstance(got, dict) else got  # image_ids: region -> id
        return value

    def attr_values_except(self, block: ast.Block, frame: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        spec = TOP[block.type]
        for attr in block.body.attributes:
            if attr.name in ("for_each", "depends_on", "provider") or attr.name not in spec.attrs:
                continue
            try:
                out[attr.name] = self.ev.eval(attr.expr, frame)
            except EvalError as exc:
                self.diags.add(exc.diagnostic())
                out[attr.name] = INVALID
        return out

    def for_each_items(self, attr: ast.Attribute, kind: str, name: str) -> list[tuple[str, Any]] | None:
        try:
            value = strip(self.ev.eval(attr.expr))
        except EvalError as exc:
            self.diags.add(exc.diagnostic())
            return None
        if value is INVALID:
            return None
        if self.unknown_variables and _from_variable(deep_unknown(value)):
            # validate: the instances are not known; check the block once with an unknown each
            inst = Instance(kind, name, None, self.blocks[kind][name])
            frame = {"each": {"key": Unknown(f"{kind}.{name}.each.key"), "value": Unknown(f"{kind}.{name}.each.value")}}
            self.attr_values_except(inst.block, frame)
            self.unknown_blocks.add(f"{kind}.{name}")
            return None
        if isinstance(value, Unknown) or (isinstance(value, dict | list) and _has_unknown_keys(value)):
            self.diags.error(
                "Invalid for_each argument",
                f"The for_each value of {kind} \"{name}\" depends on values known only after apply, so imgb cannot "
                "tell how many instances to plan. Use keys known in the configuration (variables, locals, "
                "literals).",
                attr.pos,
            )
            return None
        if isinstance(value, dict):
            return [(k, value[k]) for k in sorted(value)]
        if isinstance(value, list):
            keys: list[str] = []
            for v in value:
                if not isinstance(v, str):
                    self.diags.error(
                        "Invalid for_each argument",
                        "for_each needs a map, or a set of strings; this list holds a non-string element "
                        f"({to_string(v) if isinstance(v, int | float | bool) else type(v).__name__}). Use "
                        "toset([...]) of strings or a map.",
                        attr.pos,
                    )
                    return None
                if v in keys:
                    self.diags.error(
                        "Invalid for_each argument",
                        f'for_each holds "{v}" twice; keys must be unique. Use toset(...) to remove duplicates.',
                        attr.pos,
                    )
                    return None
                keys.append(v)
            return [(k, k) for k in sorted(keys)]
        self.diags.error(
            "Invalid for_each argument",
            f"for_each needs a map, or a set of strings, not a {_kind_of(value)}.",
            attr.pos,
        )
        return None


def _from_variable(u: Unknown | None) -> bool:
    """An unknown that stands for a variable without a value (imgb validate), or for the each of a
    block whose for_each depends on one."""
    return u is not None and (u.ref.startswith("var.") or ".each." in u.ref)


def _has_unknown_keys(value: dict[str, Any] | list[Any]) -> bool:
    if isinstance(value, list):
        return any(isinstance(v, Unknown) for v in value)
    return False


def _kind_of(value: Any) -> str:
    from imgb.reconciler.config.values import type_name

    return type_name(value)


__all__ = ["load_config", "Instance", "to_bool"]
