"""Evaluated component, template and distribution instances to model objects, with attribute type
checks, defaults, ``depends_on`` and text origins."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any

from imgb.diagnostics import Diagnostics, SourcePos, did_you_mean
from imgb.reconciler.config import ast
from imgb.reconciler.config.eval import EvalError, Evaluator
from imgb.reconciler.config.marks import strip
from imgb.reconciler.config.model import Component, Distribution, DistributionRef, Template, TextOrigin
from imgb.reconciler.config.schema import ENUMS, TOP, AttrType
from imgb.reconciler.config.values import (
    INVALID,
    ConversionError,
    deep_unknown,
    describe,
    is_invalid,
    is_null,
    to_bool,
    to_int,
    to_string,
)
from imgb.unknown import Unknown, marker

_MISSING = object()



@dataclass
class Instance:
    """One evaluated instance of a component, template or distribution block."""

    kind: str
    name: str
    key: str | None
    block: ast.Block
    attrs: dict[str, Any] = field(default_factory=dict)
    """Evaluated attribute values (INVALID where evaluation failed)."""
    frame: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def address(self) -> str:
        from imgb.addresses import block_address

        return block_address(self.kind, self.name, self.key)

    def value(self) -> dict[str, Any]:
        """What ``component.x`` (one instance) evaluates to in expressions."""
        out = {k: v for k, v in self.attrs.items() if k not in ("for_each", "depends_on", "provider")}
        out.update(name=self.name, key=self.key, address=self.address)
        if self.kind == "component":
            out["id"] = Unknown(f"{self.address}.id")
        elif self.kind == "template":
            out["id"] = Unknown(f"{self.address}.id")
            out["image_ids"] = Unknown(f"{self.address}.image_ids")
        else:
            out.setdefault("regions", [])
            out.setdefault("accounts", [])
        return out


class _Builder:
    """Checks one instance's attributes, collecting diagnostics; ``ok`` stays True if all passed."""

    def __init__(self, inst: Instance, ev: Evaluator, diags: Diagnostics, lenient: bool = False):
        self.inst = inst
        self.lenient = lenient
        """imgb validate without variable values: a value that depends on one counts as unset."""
        self.ev = ev
        self.diags = diags
        self.ok = True
        self.attrs = {a.name: a for a in inst.block.body.attributes}
        self.spec = TOP[inst.block.type]

    @property
    def attr_pos(self) -> dict[str, SourcePos]:
        return {name: a.pos for name, a in sorted(self.attrs.items())}

    def fail(self, summary: str, detail: str, name: str | None) -> None:
        pos = self.attrs[name].pos if name in self.attrs else self.inst.block.pos
        self.diags.error(summary, detail, pos, self.inst.address)
        self.ok = False

    def get(self, name: str) -> Any:
        """The converted value of ``name``, or _MISSING when unset, null or invalid."""
        if name not in self.inst.attrs:
            return _MISSING
        value = strip(self.inst.attrs[name])
        if is_null(value):
            return _MISSING
        if self.lenient and self.spec.attrs[name].type not in ("string", "text"):
            u = deep_unknown(value)
            if u is not None and u.ref.startswith("var."):
                return _MISSING
        if is_invalid(value):
            self.ok = False
            return _MISSING
        try:
            return self.convert(value, self.spec.attrs[name].type, name)
        except ConversionError as exc:
            self.fail(
                "Incorrect attribute value type",
                f'Inappropriate value for attribute "{name}": {exc}.',
                name,
            )
            return _MISSING

    def convert(self, value: Any, kind: AttrType, name: str) -> Any:
        if kind in ("string", "text"):
            if isinstance(value, Unknown):
                return marker(value.ref)
            if isinstance(value, list | dict):
                raise ConversionError(f"a string is required, got {describe(value)}")
            return to_string(value)
        if isinstance(value, Unknown):
            raise ConversionError(f"the value depends on {value.ref}, which is known only after apply")
        if kind == "int":
            if isinstance(value, bool):
                raise ConversionError(f"a whole number is required, got {describe(value)}")
            return to_int(value)
        if kind == "bool":
            return to_bool(value)
        if kind == "string_map":
            if not isinstance(value, dict):
                raise ConversionError(f"a map of strings is required, got {describe(value)}")
            out = {}
            for k, v in sorted(value.items()):
                if isinstance(v, list | dict) or is_null(v):
                    raise ConversionError(f'element "{k}": a string is required, got {describe(v)}')
                out[k] = marker(v.ref) if isinstance(v, Unknown) else to_string(v)
            return out
        if kind == "string_list":
            if not isinstance(value, list):
                raise ConversionError(f"a list of strings is required, got {describe(value)}")
            items = []
            for i, v in enumerate(value):
                if isinstance(v, list | dict | Unknown) or is_null(v):
                    raise ConversionError(f"element {i}: a string is required, got {describe(v)}")
                items.append(to_string(v))
            return tuple(items)
        return value

    def enum(self, name: str, default: str) -> str:
        value = self.get(name)
        if value is _MISSING:
            return default
        allowed = ENUMS[(self.inst.kind, name)]
        if value not in allowed:
            hint = did_you_mean(value.capitalize(), allowed) or did_you_mean(value, allowed)
            self.fail(
                f'Invalid value for "{name}"',
                f'"{value}" is not a valid {self.inst.kind} {name}; use one of {", ".join(allowed)}.{hint}',
                name,
            )
            return default
        return str(value)

    def text(self, name: str) -> tuple[str, TextOrigin | None]:
        value = self.get(name)
        if value is _MISSING:
            return "", None
        return value, self.origin(name)

    def origin(self, name: str) -> TextOrigin | None:
        attr = self.attrs[name]
        expr = attr.expr
        if isinstance(expr, ast.TemplateExpr):
            if expr.kind == "heredoc":
                return TextOrigin(filename=expr.pos.filename, line=expr.body_line)
            return TextOrigin(filename=attr.pos.filename, line=attr.pos.line)
        if isinstance(expr, ast.FunctionCall) and expr.name in ("file", "templatefile") and expr.args:
            try:
                path = self.ev.eval(expr.args[0], self.inst.frame)
            except EvalError:
                return None
            if isinstance(path, str):
                return TextOrigin(filename=os.path.normpath(path).replace(os.sep, "/"), line=1)
        return None

    def depends_on(self, known: set[str]) -> tuple[str, ...]:
        attr = self.attrs.get("depends_on")
        if attr is None:
            return ()
        items = attr.expr.items if isinstance(attr.expr, ast.TupleExpr) else None
        if items is None:
            self.fail(
                "Invalid depends_on",
                "depends_on is a list of references, like depends_on = [component.base].",
                "depends_on",
            )
            return ()
        out: list[str] = []
        for item in items:
            trav = ast.traversal(item)
            ok = trav is not None and trav[0] in ("component", "template", "distribution") and trav[1]
            if not ok or trav is None:
                self.diags.error(
                    "Invalid depends_on reference",
                    "Each depends_on element must be a reference to a component, template or distribution, "
                    'like component.base or template.web["ubuntu"].',
                    item.pos,
                    self.inst.address,
                )
                self.ok = False
                continue
            root, steps = trav
            if not isinstance(steps[0], str) or len(steps) > 2 or (len(steps) == 2 and not isinstance(steps[1], str)):
                self.diags.error(
                    "Invalid depends_on reference",
                    f"A depends_on element names a whole block ({root}.name) or one instance "
                    f'({root}.name["key"]), nothing deeper.',
                    item.pos,
                    self.inst.address,
                )
                self.ok = False
                continue
            from imgb.addresses import block_address

            address = block_address(root, steps[0], steps[1] if len(steps) == 2 else None)  # type: ignore[arg-type]
            if address not in known:
                names = [a.split(".", 1)[1] for a in known if a.startswith(root + ".")]
                self.diags.error(
                    f"Reference to undeclared {root}",
                    f'depends_on refers to {address}, which is not declared.{did_you_mean(str(steps[0]), names)}',
                    item.pos,
                    self.inst.address,
                )
                self.ok = False
                continue
            out.append(address)
        return tuple(out)


def build_component(
    inst: Instance, provider: str | None, known: set[str], ev: Evaluator, diags: Diagnostics, lenient: bool = False
) -> Component | None:
    b = _Builder(inst, ev, diags, lenient)
    depends_on = b.depends_on(known)
    content, origin = b.text("content")
    version = b.get("version")
    description = b.get("description")
    tags = b.get("tags")
    ctype = b.enum("type", "Build")
    system_type = b.enum("system_type", "Linux")
    if not b.ok or provider is None or "content" not in inst.attrs:
        return None
    return Component(
        name=inst.name,
        key=inst.key,
        provider=provider,
        version=None if version is _MISSING else version,
        type=ctype,  # type: ignore[arg-type]
        system_type=system_type,  # type: ignore[arg-type]
        description="" if description is _MISSING else description,
        content=content,
        content_origin=origin,
        tags={} if tags is _MISSING else tags,
        depends_on=depends_on,
        pos=inst.block.pos,
        attr_pos=b.attr_pos,
    )


def build_template(
    inst: Instance, provider: str | None, known: set[str], ev: Evaluator, diags: Diagnostics, lenient: bool = False
) -> Template | None:
    b = _Builder(inst, ev, diags, lenient)
    fields: dict[str, Any] = {}
    for name, spec in TOP["template"].attrs.items():
        if spec.type in ("string", "int", "bool", "string_map"):
            value = b.get(name)
            if value is not _MISSING:
                fields[name] = value
    for name in ("build", "test"):
        text, origin = b.text(name)
        fields[name], fields[f"{name}_origin"] = text, origin
    has_image = "base_image" in b.attrs
    has_family = "base_image_family" in b.attrs
    if has_image and has_family:
        b.fail(
            "Conflicting base image",
            'A template sets both "base_image" and "base_image_family"; set exactly one of them.',
            "base_image_family",
        )
    elif not has_image and not has_family:
        b.fail(
            "Missing base image",
            'A template needs a base image: set "base_image" (an image id or name) or "base_image_family" '
            "(an image family), exactly one of them.",
            None,
        )
    fields["distribute"] = _distribute(b, known)
    fields["depends_on"] = b.depends_on(known)
    if not b.ok or provider is None:
        return None
    return Template(
        name=inst.name, key=inst.key, provider=provider, pos=inst.block.pos, attr_pos=b.attr_pos, **fields
    )


def _distribute(b: _Builder, known: set[str]) -> tuple[DistributionRef, ...]:
    if "distribute" not in b.inst.attrs:
        return ()
    value = strip(b.inst.attrs["distribute"])
    if is_invalid(value) or value is None:
        b.ok = b.ok and value is None
        return ()
    if isinstance(value, dict) and not _is_distribution(value):
        value = [value[k] for k in sorted(value)]  # a for_each distribution given whole
    if not isinstance(value, list):
        value = [value]
    refs: list[DistributionRef] = []
    for item in value:
        if isinstance(item, dict) and not _is_distribution(item) and all(_is_distribution(v) for v in item.values()):
            items = [item[k] for k in sorted(item)]
        else:
            items = [item]
        for d in items:
            if not _is_distribution(d) or d["address"] not in known:
                b.fail(
                    "Incorrect attribute value type",
                    'Inappropriate value for attribute "distribute": every element must be a distribution, like '
                    f"distribute = [distribution.prod]; got {describe(d)}.",
                    "distribute",
                )
                return ()
            try:
                regions = tuple(to_string(r) for r in d.get("regions") or [])
                accounts = tuple(to_string(a) for a in d.get("accounts") or [])
            except (ConversionError, TypeError):
                b.ok = False  # the distribution itself reports its bad attributes
                return ()
            if any(r.address == d["address"] for r in refs):
                continue
            refs.append(DistributionRef(address=d["address"], regions=regions, accounts=accounts))
    return tuple(refs)


def _is_distribution(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("address"), str)
        and value["address"].startswith("distribution.")
        and "regions" in value
    )


def build_distribution(
    inst: Instance, known: set[str], diags: Diagnostics, lenient: bool = False
) -> Distribution | None:
    b = _Builder(inst, None, diags, lenient)  # type: ignore[arg-type]
    regions = b.get("regions")
    accounts = b.get("accounts")
    depends_on = b.depends_on(known)
    if not b.ok:
        return None
    return Distribution(
        name=inst.name,
        key=inst.key,
        regions=() if regions is _MISSING else regions,
        accounts=() if accounts is _MISSING else accounts,
        depends_on=depends_on,
        pos=inst.block.pos,
        attr_pos=b.attr_pos,
    )


_CONSTRAINT_RE = re.compile(r"^\s*(>=|<=|!=|~>|=|>|<)?\s*v?(\d+(?:\.\d+){0,2})\s*$")


def _vt(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def check_version(constraint: str, version: str) -> str | None:
    """None when ``version`` satisfies ``constraint`` (">= 0.1.0, < 2"); else the reason."""
    have = _vt(re.sub(r"[^0-9.].*$", "", version) or "0")
    for part in constraint.split(","):
        m = _CONSTRAINT_RE.match(part)
        if not m:
            return (
                f'"{constraint}" is not a version constraint; write one like ">= 0.1.0" or ">= 0.1, < 1.0" '
                "(operators = != > >= < <= ~>)."
            )
        op, want_text = m.group(1) or "=", m.group(2)
        want = _vt(want_text)
        ok = {
            "=": have == want,
            "!=": have != want,
            ">": have > want,
            ">=": have >= want,
            "<": have < want,
            "<=": have <= want,
            "~>": have >= want and have[: max(1, want_text.count("."))] == want[: max(1, want_text.count("."))],
        }[op]
        if not ok:
            return (
                f'This configuration requires imgb {constraint}, but this is imgb {version}. Use a matching imgb '
                "release, or change required_version."
            )
    return None


__all__ = ["build_component", "build_template", "build_distribution", "check_version", "INVALID"]
