"""Run CI workflow files as GitHub Actions and GitLab CI would, far enough to run imgb's jobs.

Every ``run:`` step (GitHub) and every ``before_script``/``script``/``after_script`` line (GitLab)
runs for real, in order, in bash as the forge's runner starts it, in a fresh checkout of the
commit the job is for, with the runner's environment (the ``GITHUB_*`` / ``CI_*`` variables, the
event payload, ``GITHUB_OUTPUT``) and the workflow's own ``env``/``variables``. The actions the
workflows use are modelled by what they do: ``actions/checkout`` (the commit), ``setup-python``
(the test's Python first on PATH; the cache's dependency file must exist), ``upload-artifact`` and
``download-artifact`` (through the forge stub's artifact store). Expressions (``${{ }}``, ``if:``,
GitLab ``rules``) are evaluated by small parsers of the documented grammar; anything outside what
they model is an error, so a workflow that starts to depend on something new fails its test
instead of passing silently.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.gitops.forge import GITHUB_TOKEN, PROJECT, REPO, Forge

Checkout = Callable[[str, Path], None]
"""Write the tree of a commit (sha) into a directory."""


@dataclass
class StepRun:
    name: str
    ran: bool
    code: int = 0
    output: str = ""


@dataclass
class JobRun:
    job: str
    status: str  # success, failure
    steps: list[StepRun] = field(default_factory=list)
    workspace: Path | None = None

    @property
    def output(self) -> str:
        return "\n".join(f"--- {s.name} (exit {s.code})\n{s.output}" for s in self.steps if s.ran)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


_SCRIPTS = itertools.count()


def _bash(script: str, cwd: Path, env: Mapping[str, str], tmp: Path, *, flags: tuple[str, ...]) -> tuple[int, str]:
    path = tmp / f"script-{next(_SCRIPTS)}.sh"
    path.write_text(script)
    p = subprocess.run(["bash", "--noprofile", "--norc", *flags, str(path)], cwd=cwd, env=dict(env),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    return p.returncode, p.stdout


# -- GitHub Actions expressions ------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>==|!=|&&|\|\||!|\(|\)|,)|(?P<id>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*))")


class Expr:
    """GitHub's expression syntax: literals, property paths, ==, !=, !, &&, ||, parentheses and the
    status functions. ``||``/``&&`` return an operand, as GitHub's do (``vars.X || 'default'``)."""

    def __init__(self, text: str, contexts: Mapping[str, Any], status: str):
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"expression this runner does not model: {text!r} at {pos}")
            kind = m.lastgroup
            assert kind is not None
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i, self.contexts, self.status, self.text = 0, contexts, status, text

    def value(self) -> Any:
        v = self._or()
        if self.i != len(self.toks):
            raise ValueError(f"expression this runner does not model: {self.text!r}")
        return v

    def _peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _take(self, op: str) -> bool:
        if self._peek() == ("op", op):
            self.i += 1
            return True
        return False

    def _or(self) -> Any:
        v = self._and()
        while self._take("||"):
            w = self._and()
            v = v if truthy(v) else w
        return v

    def _and(self) -> Any:
        v = self._eq()
        while self._take("&&"):
            w = self._eq()
            v = w if truthy(v) else v
        return v

    def _eq(self) -> Any:
        v = self._unary()
        while (tok := self._peek()) in (("op", "=="), ("op", "!=")):
            self.i += 1
            w = self._unary()
            same = _loose(v) == _loose(w)
            v = same if tok == ("op", "==") else not same
        return v

    def _unary(self) -> Any:
        if self._take("!"):
            return not truthy(self._unary())
        if self._take("("):
            v = self._or()
            if not self._take(")"):
                raise ValueError(f"unbalanced parentheses in {self.text!r}")
            return v
        tok = self._peek()
        if tok is None:
            raise ValueError(f"incomplete expression {self.text!r}")
        self.i += 1
        kind, text = tok
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if kind != "id":
            raise ValueError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self._take("("):
            if not self._take(")"):
                raise ValueError(f"function arguments are not modelled: {self.text!r}")
            functions = {"always": True, "success": self.status == "success", "failure": self.status == "failure",
                         "cancelled": False}
            if text not in functions:
                raise ValueError(f"function this runner does not model: {text}()")
            return functions[text]
        head, *rest = text.split(".")
        if head not in self.contexts:
            raise ValueError(f"context this runner does not model: {head} in {self.text!r}")
        v = self.contexts[head]
        for part in rest:
            v = v.get(part) if isinstance(v, Mapping) else None
        return v


def truthy(v: Any) -> bool:
    return v not in (None, False, 0, "")


def _loose(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _string(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def interpolate(text: Any, contexts: Mapping[str, Any], status: str = "success") -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: _string(Expr(m.group(1), contexts, status).value()), str(text))


# -- GitHub Actions -------------------------------------------------------------------------------------
@dataclass
class GitHubActions:
    workflow: Path
    forge: Forge
    python_bin: Path
    vars: dict[str, str]
    secrets: dict[str, str]
    checkout: Checkout
    tmp: Path
    base_env: dict[str, str]
    runs: int = 0

    def __post_init__(self) -> None:
        self.doc: Any = yaml.safe_load(self.workflow.read_text())

    def run(self, job_id: str, event_name: str, event: dict[str, Any], *, sha: str) -> JobRun:
        """Run one job for an event; ``sha`` is GITHUB_SHA (for a pull request, the test merge)."""
        self.runs += 1
        run_id = self.forge.new_id()
        workspace = self.tmp / f"gh-{self.runs}-{job_id}"
        workspace.mkdir(parents=True)
        event_path = self.tmp / f"gh-{self.runs}-event.json"
        event_path.write_text(json.dumps(event))
        job = self.doc["jobs"][job_id]
        github = {"event_name": event_name, "event": event, "token": GITHUB_TOKEN, "repository": REPO,
                  "sha": sha, "run_id": str(run_id), "workspace": str(workspace)}
        ctx: dict[str, Any] = {"github": github, "vars": self.vars, "secrets": self.secrets}
        assert truthy(Expr(job["if"], ctx, "success").value()), f"job {job_id} would not run on {event_name}"
        interpolate(job["runs-on"], {"vars": self.vars, "github": github})
        env = {k: interpolate(v, ctx) for k, v in (self.doc.get("env") or {}).items()}
        env |= {k: interpolate(v, ctx | {"env": env}) for k, v in (job.get("env") or {}).items()}
        runner_env = self.base_env | {
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_API_URL": self.forge.github_api, "GITHUB_REPOSITORY": REPO,
            "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(event_path), "GITHUB_RUN_ID": str(run_id),
            "GITHUB_SERVER_URL": "https://github.test", "GITHUB_SHA": sha, "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_TEMP": str(self.tmp),
        }
        path = runner_env["PATH"]
        status = "success"
        steps: dict[str, Any] = {}
        result = JobRun(job_id, status, workspace=workspace)
        for i, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("uses") or f"step {i}"
            sctx = ctx | {"env": env, "steps": steps, "job": {"status": status}}
            condition = step.get("if", "success()")
            if not truthy(Expr(str(condition), sctx, status).value()):
                result.steps.append(StepRun(name, False))
                continue
            step_env = env | {k: interpolate(v, sctx, status) for k, v in (step.get("env") or {}).items()}
            code, out, outputs = 0, "", {}
            if "uses" in step:
                with_ = {k: interpolate(v, sctx, status) for k, v in (step.get("with") or {}).items()}
                action = step["uses"].split("@")[0]
                if action == "actions/checkout":
                    self.checkout(with_.get("ref") or sha, workspace)
                elif action == "actions/setup-python":
                    dep = with_.get("cache-dependency-path")
                    if with_.get("cache") == "pip" and (not dep or not (workspace / dep).is_file()):
                        code, out = 1, f"Error: No file in {workspace} matched to [{dep}], make sure you have checked out the target repository"
                    path = f"{self.python_bin}{os.pathsep}{path}"
                elif action == "actions/upload-artifact":
                    files = {p: (workspace / p).read_bytes() for p in with_["path"].split() if (workspace / p).is_file()}
                    self.forge.state.run_artifacts.setdefault(run_id, {})[with_["name"]] = files
                    out = f"uploaded {sorted(files)}"
                elif action == "actions/download-artifact":
                    assert with_.get("github-token") == GITHUB_TOKEN, "download from another run needs github-token"
                    source = int(with_.get("run-id") or run_id)
                    found = self.forge.state.run_artifacts.get(source, {}).get(with_["name"])
                    if found is None:
                        code, out = 1, f"Error: Unable to download artifact(s): Artifact not found for name: {with_['name']}"
                    else:
                        for rel, data in found.items():
                            (workspace / rel).write_bytes(data)
                else:
                    raise ValueError(f"action this runner does not model: {step['uses']}")
            else:
                output_file = self.tmp / f"gh-{self.runs}-{i}.out"
                output_file.write_text("")
                shell_env = runner_env | step_env | {"PATH": path, "GITHUB_OUTPUT": str(output_file)}
                code, out = _bash(interpolate(step["run"], sctx, status), workspace, shell_env, self.tmp, flags=("-eo", "pipefail"))
                outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
            if "id" in step:
                steps[step["id"]] = {"outputs": outputs, "outcome": "success" if code == 0 else "failure"}
            result.steps.append(StepRun(name, True, code, out))
            if code != 0:
                status = "failure"
        result.status = status
        pr = event.get("pull_request") or {}
        self.forge.state.runs[run_id] = {"id": run_id, "head_sha": pr.get("head", {}).get("sha", sha), "event": event_name,
                                         "status": "completed", "conclusion": status}
        return result


# -- GitLab CI ------------------------------------------------------------------------------------------
_RULE = re.compile(r"\s*(?:(?P<var>\$[A-Za-z_][A-Za-z0-9_]*)|(?P<str>\"[^\"]*\")|(?P<op>==|!=|&&|\|\|))")


def rule_matches(text: str, variables: Mapping[str, str]) -> bool:
    """GitLab ``rules: if:`` with variables, strings, ==, != joined by && (and ||, looser)."""
    toks, pos = [], 0
    while pos < len(text.strip()):
        m = _RULE.match(text, pos)
        if m is None:
            raise ValueError(f"rule this runner does not model: {text!r}")
        toks.append((m.lastgroup, m.group(m.lastgroup or "")))
        pos = m.end()

    def operand(tok: tuple[str | None, str]) -> str | None:
        kind, value = tok
        if kind == "var":
            return variables.get(value[1:])
        if kind == "str":
            return value[1:-1]
        raise ValueError(f"rule this runner does not model: {text!r}")

    def clause(ts: list[tuple[str | None, str]]) -> bool:
        if len(ts) != 3 or ts[1][0] != "op" or ts[1][1] not in ("==", "!="):
            raise ValueError(f"rule this runner does not model: {text!r}")
        same = operand(ts[0]) == operand(ts[2])
        return same if ts[1][1] == "==" else not same

    return any(all(clause(c) for c in _split(a, "&&")) for a in _split(toks, "||"))


def _split(toks: list[Any], op: str) -> list[list[Any]]:
    parts: list[list[Any]] = [[]]
    for t in toks:
        if t == ("op", op):
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


_GITLAB_JOB_KEYS = {"stage", "rules", "script", "before_script", "after_script", "artifacts", "resource_group",
                    "interruptible", "variables", "image", "tags", "cache"}


def expand(value: str, variables: Mapping[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: variables.get(m.group(1), m.group(0)), value)


@dataclass
class GitLabCI:
    path: Path
    forge: Forge
    python_bin: Path
    project_variables: dict[str, str]
    checkout: Checkout
    tmp: Path
    base_env: dict[str, str]
    runs: int = 0

    def __post_init__(self) -> None:
        self.doc: Any = yaml.safe_load(self.path.read_text())

    def run(self, name: str, pipeline: dict[str, str]) -> JobRun:
        """Run one job of a pipeline; ``pipeline`` holds the predefined variables that differ
        between pipelines (CI_PIPELINE_SOURCE, CI_COMMIT_SHA, CI_COMMIT_BRANCH, CI_MERGE_REQUEST_*)."""
        self.runs += 1
        job_id = self.forge.new_id()
        job = self.doc[name]
        unknown = set(job) - _GITLAB_JOB_KEYS
        assert not unknown, f"{name}: keys this runner does not model: {unknown}"
        workspace = self.tmp / f"gl-{self.runs}-{name}"
        workspace.mkdir(parents=True)
        predefined = {
            "CI": "true", "GITLAB_CI": "true", "CI_API_V4_URL": self.forge.gitlab_api, "CI_PROJECT_ID": PROJECT,
            "CI_PROJECT_DIR": str(workspace), "CI_JOB_ID": str(job_id), "CI_JOB_NAME": name,
            "CI_JOB_URL": f"https://gitlab.test/acme/images/-/jobs/{job_id}", "CI_DEFAULT_BRANCH": "main",
        } | pipeline
        variables = dict(predefined)
        for k, v in {**(self.doc.get("variables") or {}), **(job.get("variables") or {})}.items():
            variables[k] = expand(str(v), variables)
        variables |= self.project_variables
        rules = job.get("rules") or []
        assert any(rule_matches(r["if"], variables) for r in rules), f"job {name} would not run in {pipeline}"
        self.checkout(pipeline["CI_COMMIT_SHA"], workspace)
        default = self.doc.get("default") or {}
        dep = ((default.get("cache") or {}).get("key") or {}).get("files") or []
        assert all((workspace / f).is_file() for f in dep), f"cache key files missing: {dep}"
        env = self.base_env | variables
        env["PATH"] = f"{self.python_bin}{os.pathsep}{env['PATH']}"
        lines = [*job.get("before_script", default.get("before_script", [])), *job["script"]]
        result = JobRun(name, "success", workspace=workspace)
        code, out = _bash("\n".join(lines) + "\n", workspace, env, self.tmp, flags=("-eo", "pipefail"))
        result.steps.append(StepRun("script", True, code, out))
        status = "success" if code == 0 else "failed"
        after = job.get("after_script", default.get("after_script"))
        if after:
            acode, aout = _bash("\n".join(after) + "\n", workspace, env | {"CI_JOB_STATUS": status}, self.tmp, flags=("-eo", "pipefail"))
            result.steps.append(StepRun("after_script", True, acode, aout))
        artifacts = job.get("artifacts") or {}
        when = artifacts.get("when", "on_success")
        if artifacts and (when == "always" or (when == "on_success") == (status == "success")):
            self.forge.state.job_artifacts[job_id] = {p: (workspace / p).read_bytes() for p in artifacts["paths"] if (workspace / p).is_file()}
        result.status = "success" if code == 0 else "failure"
        self.forge.state.jobs[job_id] = {"id": job_id, "name": name, "status": status,
                                         "pipeline": {"sha": pipeline["CI_COMMIT_SHA"]}}
        return result
