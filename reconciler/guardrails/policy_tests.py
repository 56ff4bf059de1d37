"""``imgb policy test``: run the policies' unit tests as ``opa test`` does.

Every rule whose name starts with ``test_`` in the loaded files (policies and ``*_test.rego``) is
a test; it passes when it evaluates to true, fails when it is false or undefined, and errors when
it cannot be evaluated. Tests see no plan: they give their own input with ``with input as …``
(see ``rego`` for how imgb runs that on rego-cpp).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from imgb.reconciler.guardrails.rego import Engine, Module, RegoError, unsupported_with_values


@dataclass(frozen=True)
class Outcome:
    name: str
    """data.<package>.<rule>"""
    filename: str
    line: int
    status: str
    """PASS, FAIL or ERROR."""
    seconds: float
    message: str = ""


def run(modules: list[Module], run_filter: str | None = None) -> list[Outcome]:
    """Raises RegoError when a module does not compile, or uses what rego-cpp gets wrong."""
    for m in modules:
        for name, line in unsupported_with_values(m):
            raise RegoError(f"with input as {name}: rego-cpp evaluates a rule given as a with-value wrongly; "
                            f"bind it to a local variable first (x := {name} then with input as x)", m.filename, line)
    engine = Engine(modules, test_input=True)
    out: list[Outcome] = []
    for m in modules:
        pkg = m.package
        if pkg is None:
            continue
        for name, line in m.rules():
            if not name.startswith("test_"):
                continue
            full = f"data.{pkg}.{name}"
            if run_filter and run_filter not in full:
                continue
            start = time.perf_counter()
            try:
                values = engine.query(full)
                status, message = ("PASS", "") if values and values[0] is True else ("FAIL", "")
            except RegoError as e:
                status, message = "ERROR", e.message
            out.append(Outcome(full, m.filename, line, status, time.perf_counter() - start, message))
    return out


def report(outcomes: list[Outcome], verbose: bool = False) -> str:
    """opa test's output: the failures (every test with ``verbose``), then PASS/FAIL/ERROR counts."""
    lines: list[str] = []
    shown = [o for o in outcomes if verbose or o.status != "PASS"]
    current = None
    for o in shown:
        if o.filename != current:
            if current is not None:
                lines.append("")
            lines.append(f"{o.filename}:")
            current = o.filename
        lines.append(f"{o.name}: {o.status} ({o.seconds * 1000:.1f}ms)" + (f"\n  {o.message}" if o.message else ""))
    if shown:
        lines.append("-" * 80)
    total = len(outcomes)
    for status in ("PASS", "FAIL", "ERROR"):
        n = sum(1 for o in outcomes if o.status == status)
        if n:
            lines.append(f"{status}: {n}/{total}")
    if not outcomes:
        lines.append("No tests found (rules named test_… in the policy files).")
    return "\n".join(lines) + "\n"
