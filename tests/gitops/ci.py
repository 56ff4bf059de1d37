"""Reading CI workflow files the way a runner would, far enough to run their imgb commands.

GitHub Actions: ``jobs.<job>.steps[].run`` with the workflow's and the step's ``env``, whose
``${{ vars.X || 'default' }}`` / ``${{ secrets.X }}`` / ``${{ github.x }}`` expressions are
evaluated from what the test provides. GitLab CI: ``<job>.script`` with ``variables`` plus the
project's CI/CD variables. Anything else in an expression is an error, so a workflow that starts
to depend on something this runner does not model fails the test instead of passing silently.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_OPERAND = re.compile(r"^(?:(vars|secrets|github)\.([A-Za-z_][A-Za-z0-9_.]*)|'([^']*)')$")


@dataclass
class Context:
    vars: Mapping[str, str]
    secrets: Mapping[str, str]
    github: Mapping[str, str]


def evaluate(text: str, ctx: Context) -> str:
    def one(m: re.Match[str]) -> str:
        for operand in (o.strip() for o in m.group(1).split("||")):
            om = _OPERAND.match(operand)
            if om is None:
                raise ValueError(f"expression this test runner does not model: {m.group(0)}")
            if om.group(3) is not None:
                value = om.group(3)
            else:
                value = {"vars": ctx.vars, "secrets": ctx.secrets, "github": ctx.github}[om.group(1)].get(om.group(2), "")
            if value:
                return value
        return ""

    return _EXPR.sub(one, str(text))


def imgb_lines(script: str) -> list[str]:
    """The script's imgb invocations, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [ln.strip() for ln in joined.splitlines() if ln.strip().startswith("imgb ")]


@dataclass
class Step:
    job: str
    name: str
    script: str
    env: dict[str, str]


def github_steps(path: Path, job: str, ctx: Context) -> list[Step]:
    doc: Any = yaml.safe_load(path.read_text())
    base = {k: evaluate(v, ctx) for k, v in (doc.get("env") or {}).items()}
    steps = []
    for i, step in enumerate(doc["jobs"][job]["steps"]):
        if "run" not in step:
            continue
        env = base | {k: evaluate(v, ctx) for k, v in (step.get("env") or {}).items()} if imgb_lines(step["run"]) else base
        steps.append(Step(job, step.get("name", f"step {i}"), step["run"], env))
    return steps


def gitlab_steps(path: Path, job: str, ci_variables: Mapping[str, str]) -> list[Step]:
    doc: Any = yaml.safe_load(path.read_text())
    env = {k: str(v) for k, v in (doc.get("variables") or {}).items()} | dict(ci_variables)
    return [Step(job, f"script {i}", s, env) for i, s in enumerate(doc[job]["script"])]


@dataclass
class Ran:
    command: str
    code: int
    stdout: str
    stderr: str


def run_imgb_commands(steps: list[Step], cwd: Path, base_env: Mapping[str, str]) -> list[Ran]:
    """Run every imgb command of the steps in order, as the runner's shell would."""
    ran = []
    for step in steps:
        for line in imgb_lines(step.script):
            assert "${{" not in line, f"{step.job}/{step.name}: an expression in an imgb command: {line}"
            p = subprocess.run(
                ["bash", "-o", "pipefail", "-c", line],
                cwd=cwd,
                env={**base_env, **step.env},
                capture_output=True,
                text=True,
                timeout=600,
            )
            ran.append(Ran(line, p.returncode, p.stdout, p.stderr))
    return ran
