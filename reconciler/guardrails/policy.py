"""Rego policies over the plan: ``deny`` stops ``imgb plan``, ``warn`` shows a banner.

Where: ``imgb { policy_paths = [...] }`` (files or directories, relative to the configuration),
else the configuration's ``policy`` directory when there is one. Every ``*.rego`` file found
(directories recursively, sorted) is loaded except ``*_test.rego`` (``imgb policy test`` runs
those). Every package that defines ``deny`` or ``warn`` is evaluated against the plan JSON
(docs/plan-json.md) as ``input``, as conftest does with ``--all-namespaces``.

A ``deny``/``warn`` value is a message, or an object ``{"msg": …, "address": …, "attribute": …}``.
The diagnostic points at the configuration that asks for the resource at ``address`` (or, without
one, the single plan address the message names): its ``attribute`` when given, else the block (a
share: the distribution's ``accounts``). Without an address, at the policy's rule.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgb.diagnostics import Diagnostic, SourcePos, error, warning
from imgb.fsops import ALLOW_PATHS_ENV, OutsideDirectory, allowed_outside, read_inside
from imgb.reconciler.guardrails import POLICY_DIR
from imgb.reconciler.plan import Plan

if TYPE_CHECKING:
    from collections.abc import Callable

    # The Rego engine loads only when a configuration has policies (most have none).
    from imgb.reconciler.guardrails.rego import Module

DEFAULT_DIR = POLICY_DIR


@dataclass(frozen=True)
class Violation:
    """A ``deny`` or ``warn`` rule's message about a plan."""

    rule: str
    """deny or warn."""
    package: str
    message: str
    address: str | None = None
    attribute: str | None = None


class PolicyOutside(Exception):
    """A policy path of the configuration that leads out of its directory (the path as written)."""


def policy_files(directory: Path, paths: tuple[str, ...] | None, *, tests: bool = False,
                 operator: bool = False) -> list[Path]:
    """The Rego files to load (``tests``: the ``*_test.rego`` files too). Raises FileNotFoundError
    with the path as the user wrote it when a configured path does not exist, and PolicyOutside
    when the configuration's path leads out of its directory (an absolute path, ``..``, a link)
    to a place the operator did not allow (IMGB_ALLOW_PATHS). ``operator``: the paths come from
    the command line, and may be anywhere."""
    roots = [directory / p for p in paths] if paths is not None else [directory / DEFAULT_DIR]
    found: list[Path] = []
    for root, written in zip(roots, paths or (DEFAULT_DIR,), strict=True):
        if not operator and os.path.lexists(root) and not allowed_outside(root, directory):
            raise PolicyOutside(written)
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(sorted(p for p in root.rglob("*.rego") if p.is_file()))
        elif paths is not None:
            raise FileNotFoundError(written)
    unique = list(dict.fromkeys(found))
    return [p for p in unique if tests or not p.name.endswith("_test.rego")]


def load_modules(directory: Path, files: list[Path]) -> list[Module]:
    """The files' modules. Those inside the configuration directory are read below it (a file
    that is a link out of it raises fsops.OutsideDirectory unread); others (allowed by the
    operator) as they are."""
    from imgb.reconciler.guardrails.rego import Module

    out = []
    for f in files:
        try:
            name = str(f.relative_to(directory))
        except ValueError:
            out.append(Module(str(f), f.read_text(encoding="utf-8")))
            continue
        out.append(Module(name, read_inside(directory, name).decode("utf-8")))
    return out


def path_problem(e: Exception, directory: Path) -> Diagnostic:
    """The diagnostic of a policy path that cannot be used (policy_files, load_modules)."""
    if isinstance(e, PolicyOutside):
        return error("Policy path outside the configuration directory",
                     f'"{e.args[0]}" in imgb {{ policy_paths }} (or the policy directory) leads out of the configuration directory; '
                     f"a configuration reads its policies from its own directory. Move them there, or let the "
                     f"operator allow the place ({ALLOW_PATHS_ENV}, -allow-path).")
    if isinstance(e, OutsideDirectory):
        return error("Policy file not read", f"{e.filename}: {e.strerror}. Policies are read from the configuration "
                     "directory only; replace the link by the file.")
    return error("Policy path not found", f'"{e.args[0]}" in imgb {{ policy_paths }} does not exist '
                 f"(relative to {directory}). Fix the path or remove it.")


def evaluate(modules: list[Module], document: dict[str, Any]) -> list[Violation]:
    """Every deny and warn of every package, sorted; raises RegoError."""
    from imgb.reconciler.guardrails.rego import Engine, RegoError

    engine = Engine(modules)
    engine.set_input(document)
    found: list[Violation] = []
    for m in modules:
        pkg = m.package
        if pkg is None:
            raise RegoError("the file has no package declaration", m.filename, 1)
        names = {n for n, _ in m.rules()}
        for rule in ("deny", "warn"):
            if rule not in names:
                continue
            for value in engine.query(f"data.{pkg}.{rule}"):
                found.extend(_violations(rule, pkg, value))
    return sorted(set(found), key=lambda v: (v.rule, v.package, v.address or "", v.message))


def _violations(rule: str, pkg: str, value: Any) -> list[Violation]:
    items = value if isinstance(value, list) else [value] if value not in (None, True, False) else []
    out = []
    for item in items:
        if isinstance(item, dict):
            msg = item.get("msg", item.get("message"))
            text = msg if isinstance(msg, str) else _json(item)
            addr, attr = item.get("address"), item.get("attribute")
            out.append(Violation(rule, pkg, text, addr if isinstance(addr, str) else None,
                                 attr if isinstance(attr, str) else None))
        else:
            out.append(Violation(rule, pkg, item if isinstance(item, str) else _json(item)))
    return out


def _json(v: Any) -> str:
    import json

    return json.dumps(v, sort_keys=True)


def diagnostics(plan: Plan, violations: list[Violation], modules: list[Module]) -> list[Diagnostic]:
    by_display = {c.display_address: c.address for c in plan.changes}
    by_display.update({c.address: c.address for c in plan.changes})
    out = []
    for v in violations:
        address = by_display.get(v.address or "") or _named(v.message, by_display)
        ref = plan.sources.get(address) if address else None
        pos = ref.pos(v.attribute) if ref is not None else _rule_pos(modules, v.package, v.rule)
        if v.rule == "deny":
            out.append(error("Policy violation", f"{v.message} (policy {v.package})", pos, address))
        else:
            out.append(warning("Policy warning", f"{v.message} (policy {v.package})", pos, address))
    return out


def _named(message: str, addresses: dict[str, str]) -> str | None:
    """The one plan address a message names (the longest wins over its prefixes)."""
    named = {addresses[a] for a in addresses if re.search(re.escape(a) + r"(?![\w\[\"])", message)}
    named = {a for a in named if not any(b != a and b.startswith(a) for b in named)}
    return named.pop() if len(named) == 1 else None


def _rule_pos(modules: list[Module], package: str, rule: str) -> SourcePos | None:
    for m in modules:
        if m.package == package:
            for name, line in m.rules():
                if name == rule:
                    return SourcePos(m.filename, line, 1)
    return None


def check(plan: Plan, document: Callable[[], dict[str, Any]], directory: Path, paths: tuple[str, ...] | None) -> list[Diagnostic]:
    """The diagnostics of the project's policies on ``plan`` (none without policies), which see
    ``document()`` (the plan's JSON, made only when there are policies) as their input."""
    try:
        files = policy_files(directory, paths)
        modules = load_modules(directory, files) if files else []
    except (FileNotFoundError, PolicyOutside, OutsideDirectory) as e:
        return [path_problem(e, directory)]
    if not modules:
        return []
    from imgb.reconciler.guardrails.rego import RegoError

    try:
        violations = evaluate(modules, document())
    except RegoError as e:
        pos = SourcePos(e.filename, e.line or 1, 1) if e.filename else None
        return [error("Policy could not be evaluated", f"{e.message}. A policy that cannot be evaluated stops the "
                      "plan, as a failing one would.", pos)]
    return diagnostics(plan, violations, modules)
