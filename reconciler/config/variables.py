"""Input variables: declarations, values by precedence, type conversion and validation rules.

Precedence, lowest to highest: ``default``, environment ``IMGB_VAR_<name>``, ``*.auto.imgbvars.hcl``
(name order), ``--var-file`` (in order), ``--var name=value`` (in order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgb.diagnostics import Diagnostics, SourcePos, did_you_mean
from imgb.fsops import read_inside
from imgb.reconciler.config import ast
from imgb.reconciler.config.cache import parse_cached
from imgb.reconciler.config.convert import convert
from imgb.reconciler.config.eval import Context, EvalError, Evaluator
from imgb.reconciler.config.marks import strip
from imgb.reconciler.config.types import ANY, Type, TypeSyntaxError, parse_type
from imgb.reconciler.config.values import INVALID, ConversionError, to_bool, to_string
from imgb.unknown import CLOSE, OPEN, Unknown

ENV_PREFIX = "IMGB_VAR_"


@dataclass
class Declared:
    """A ``variable`` block as declared, before its value is settled."""

    name: str
    block: ast.Block
    type: Type = ANY
    type_text: str = "any"
    description: str = ""
    sensitive: bool = False
    default: Any = None
    has_default: bool = False
    value: Any = INVALID
    source: str = ""
    validations: list[ast.Block] = field(default_factory=list)


def _no_refs(root: str, name: str, pos: SourcePos) -> Any:
    raise EvalError(
        "Variables not allowed",
        f"{root}.{name}: references are not allowed here; write a literal value.",
        pos,
        static=True,
    )


def literal_evaluator(directory: Path) -> Evaluator:
    return Evaluator(Context(directory, _no_refs))


def declare(block: ast.Block, diags: Diagnostics, directory: Path) -> Declared:
    """A variable block's declaration: type, default, flags. Attribute problems become diagnostics."""
    d = Declared(block.labels[0], block)
    ev = literal_evaluator(directory)
    attrs = {a.name: a for a in block.body.attributes}
    if "type" in attrs:
        try:
            d.type = parse_type(attrs["type"].expr)
            d.type_text = str(d.type)
        except TypeSyntaxError as exc:
            diags.error("Invalid type specification", str(exc), exc.pos)
            d.type = ANY
    for flag in ("sensitive",):
        if flag in attrs:
            try:
                d.sensitive = to_bool(strip(ev.eval(attrs[flag].expr)))
            except (EvalError, ConversionError):
                diags.error(f'Invalid "{flag}" value', f'"{flag}" must be true or false.', attrs[flag].pos)
    if "description" in attrs:
        try:
            d.description = to_string(strip(ev.eval(attrs["description"].expr)))
        except EvalError as exc:
            diags.add(exc.diagnostic())
        except ConversionError:
            diags.error("Invalid description", "A description must be a string.", attrs["description"].pos)
    if "default" in attrs:
        try:
            raw = strip(ev.eval(attrs["default"].expr))
            d.default = convert(raw, d.type)
            d.has_default = True
        except EvalError as exc:
            diags.add(exc.diagnostic())
        except ConversionError as exc:
            diags.error(
                "Invalid default value for variable",
                f'The default value of variable "{d.name}" does not match its type {d.type_text}: {exc}.',
                attrs["default"].pos,
            )
    d.validations = [b for b in block.body.blocks if b.type == "validation"]
    return d


def assign_values(
    declared: dict[str, Declared],
    directory: Path,
    var_args: Sequence[str],
    var_files: Sequence[str],
    env: Mapping[str, str],
    diags: Diagnostics,
    fixed: Mapping[str, Any] | None = None,
    unknown_when_unset: bool = False,
) -> None:
    """Set each declaration's ``value`` from the sources, highest precedence last. ``fixed``: the
    values of a saved plan, which apply uses whatever the environment and *.auto.imgbvars.hcl
    say; --var and --var-file may only repeat them (as Terraform). With ``unknown_when_unset``
    (``imgb validate``, as ``terraform validate``), a required variable without a value is
    unknown instead of an error."""
    ev = literal_evaluator(directory)
    for d in declared.values():
        if d.has_default:
            d.value, d.source = d.default, "default"

    def from_text(d: Declared, raw: str, source: str) -> None:
        if OPEN in raw or CLOSE in raw:
            diags.error(
                "Invalid value for variable",
                f"The value for var.{d.name} ({source}) contains the private-use characters U+E000/U+E001, "
                "which imgb reserves for values known only after apply. Remove them.",
            )
            d.value = INVALID
            return
        if d.type.kind in ("string", "any"):
            d.value, d.source = raw, source
            return
        from imgb.reconciler.config.hcl import SyntaxProblem, parse_expression  # only values given as text

        try:
            expr = parse_expression(raw, f"<value for var.{d.name}>")
            value = strip(ev.eval(expr))
        except (SyntaxProblem, EvalError):
            value = raw  # not a literal expression: let the type conversion explain what is wrong
        assign(d, value, source, None)

    def assign(d: Declared, value: Any, source: str, pos: SourcePos | None) -> None:
        try:
            d.value, d.source = convert(value, d.type), source
        except ConversionError as exc:
            # A sensitive value must not be quoted, and it never reaches the masking list.
            reason = "the value (sensitive) cannot be converted" if d.sensitive else str(exc)
            diags.error(
                "Invalid value for variable",
                f"The value for var.{d.name} ({source}) does not match the variable's type {d.type_text}: {reason}.",
                pos or d.block.pos,
            )
            d.value = INVALID

    for key in sorted(env):
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :] in declared:
            from_text(declared[key[len(ENV_PREFIX) :]], env[key], f"from the environment variable {key}")

    auto = sorted(p.name for p in directory.glob("*.auto.imgbvars.hcl") if p.is_file() or p.is_symlink())
    files = [(name, directory / name) for name in auto]
    for given in var_files:
        p = Path(given)
        files.append((given, p if p.is_absolute() else directory / p))
    given_on_command_line: set[str] = set()
    for index, (shown, path) in enumerate(files):
        try:
            # Files of the directory are opened below it (a link out of it is refused unread); an
            # absolute --var-file is the operator's own choice.
            data = path.read_bytes() if Path(shown).is_absolute() else read_inside(directory, shown)
        except OSError as exc:
            diags.error(
                "Failed to read variables file",
                f'The variables file "{shown}" cannot be read: {exc.strerror or exc}. Check the --var-file path '
                "(relative paths are relative to the configuration directory).",
            )
            continue
        body, problems = parse_cached(data, shown)
        diags.extend(problems)
        if body is None:
            continue
        for block in body.blocks:
            diags.error(
                "Unexpected block in variables file",
                f'A variables file holds only attributes (name = value), not "{block.type}" blocks.',
                block.pos,
            )
        for attr in body.attributes:
            if attr.name not in declared:
                diags.warning(
                    "Value for undeclared variable",
                    f'The file "{shown}" assigns "{attr.name}", but no variable "{attr.name}" is declared; the '
                    f"value is ignored.{did_you_mean(attr.name, declared)}",
                    attr.pos,
                )
                continue
            try:
                value = strip(ev.eval(attr.expr))
            except EvalError as exc:
                diags.add(exc.diagnostic())
                continue
            assign(declared[attr.name], value, f'from "{shown}"', attr.pos)
            if index >= len(auto):
                given_on_command_line.add(attr.name)

    for arg in var_args:
        name, sep, raw = arg.partition("=")
        name = name.strip()
        if not sep or not name:
            diags.error(
                "Invalid --var option",
                f'The option --var "{arg}" is not correctly specified: it must be a variable name and a value '
                "separated by an equals sign, like --var name=value.",
            )
            continue
        if name not in declared:
            diags.error(
                "Value for undeclared variable",
                f'A variable named "{name}" was assigned with --var, but the configuration does not declare it. '
                f'Declare it with a variable "{name}" block, or remove the option.{did_you_mean(name, declared)}',
            )
            continue
        from_text(declared[name], raw, "from --var")
        given_on_command_line.add(name)

    for name, value in sorted((fixed or {}).items()):
        if name not in declared:
            continue
        kept = declared[name]
        try:
            planned = convert(value, kept.type)
        except ConversionError as exc:
            diags.error("Invalid value for variable", f"The saved plan's value for var.{name} does not match its type {kept.type_text}: {exc}.")
            continue
        if name in given_on_command_line and kept.value is not INVALID and kept.value != planned:
            diags.error(
                "Can't change variable when applying a saved plan",
                f"The variable {name} cannot be set with --var or --var-file when applying a saved plan: the "
                f"plan holds the values it was made with, {to_display(planned)} for var.{name}, and "
                f"{to_display(kept.value)} was given ({kept.source}). Apply without it, or make a new plan with the new value.",
            )
        kept.value, kept.source = planned, "from the saved plan"

    for d in declared.values():
        if not d.source and d.value is INVALID and unknown_when_unset:
            d.value, d.source = Unknown(f"var.{d.name}"), "unknown (validate)"
        elif not d.source and d.value is INVALID:
            diags.error(
                "No value for required variable",
                f'The variable "{d.name}" has no default and no value was given. Set it with --var {d.name}=..., '
                f"in a *.auto.imgbvars.hcl file, with --var-file, or with the environment variable "
                f"{ENV_PREFIX}{d.name}.",
                d.block.pos,
            )


def to_display(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def check_validations(d: Declared, ev: Evaluator, diags: Diagnostics) -> None:
    """Run the variable's validation rules against its value."""
    if d.value is INVALID:
        return
    for rule in d.validations:
        attrs = {a.name: a for a in rule.body.attributes}
        if "condition" not in attrs or "error_message" not in attrs:
            continue
        try:
            ok = strip(ev.eval(attrs["condition"].expr))
        except EvalError as exc:
            diags.add(exc.diagnostic())
            continue
        if ok is INVALID or isinstance(ok, Unknown):
            continue
        try:
            passed = to_bool(ok)
        except ConversionError as exc:
            diags.error("Invalid validation condition", f"The condition must be a bool: {exc}.", attrs["condition"].pos)
            continue
        if passed:
            continue
        try:
            message = to_string(strip(ev.eval(attrs["error_message"].expr)))
        except (EvalError, ConversionError):
            message = "The value does not satisfy the validation rule."
        shown = "(sensitive value)" if d.sensitive else _shown(d.value)
        diags.error(
            "Invalid value for variable",
            f"{message}\n\nvar.{d.name} is {shown} ({d.source or 'default'}). "
            f"This was checked by the validation rule at {rule.pos}.",
            rule.pos,
        )


def _shown(value: Any) -> str:
    try:
        text = to_display(strip(value))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
