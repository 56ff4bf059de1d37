"""The CI workflows of examples/gitops, run: their imgb commands in the order CI runs them,
against a real PostgreSQL state and the local provider, each job in a fresh checkout.

pull request (plan, comment markdown, saved plan) -> merge (apply exactly that plan) -> next pull
request (no changes) -> schedule (no drift) -> an image unshared out of band -> schedule (drift,
exit code 3, a report for an issue); and a reviewed plan that went stale is refused at merge.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgb.addresses import Kind
from imgb.providers.local.provider import LocalProvider
from imgb.reconciler.views.plan_markdown import DRIFT_MARKER, MARKER
from tests.gitops.ci import Context, Ran, Step, github_steps, gitlab_steps, run_imgb_commands

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gitops"
GITHUB = EXAMPLE / ".github" / "workflows" / "imgb.yml"
GITLAB = EXAMPLE / ".gitlab-ci.yml"
ARTIFACTS = ("imgb.plan", "imgb-plan.md")


class Repo:
    """A repository whose jobs each start from a fresh checkout, sharing only what CI shares:
    the PostgreSQL state, the local provider's store (IMGB_HOME) and the artifacts passed on."""

    def __init__(self, tmp: Path, schema: str, dsn: str):
        self.tmp, self.schema, self.dsn = tmp, schema, dsn
        self.store = tmp / "store"
        self.jobs = 0
        self.release = "2024.06"

    def checkout(self) -> Path:
        self.jobs += 1
        d = self.tmp / f"job{self.jobs}"
        shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".imgb", "imgb.state.*", "*.plan", "imgb-*.md"))
        main = d / "main.imgb.hcl"
        text = main.read_text()
        assert 'schema_name = "imgb"' in text and 'default     = "2024.06"' in text
        main.write_text(text.replace('schema_name = "imgb"', f'schema_name = "{self.schema}"')
                        .replace('default     = "2024.06"', f'default     = "{self.release}"'))
        return d

    def env(self) -> dict[str, str]:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return {"PATH": path, "HOME": str(self.tmp), "LANG": "C.UTF-8"}

    def secrets(self) -> dict[str, str]:
        return {"IMGB_PG_CONN_STR": self.dsn}

    def vars(self) -> dict[str, str]:
        return {"IMGB_HOME": str(self.store)}


def _ok(ran: list[Ran], *allowed: int) -> None:
    for r in ran:
        assert r.code in (allowed or (0,)), f"{r.command} exited {r.code}:\n{r.stdout}\n{r.stderr}"


def _commands(ran: list[Ran]) -> list[str]:
    return [" ".join(r.command.split()[:4]) for r in ran]


def _github(repo: Repo, job: str) -> list[Step]:
    ctx = Context(vars=repo.vars(), secrets=repo.secrets(), github={"token": "t", "repository": "o/r"})
    return github_steps(GITHUB, job, ctx)


def _gitlab(repo: Repo, job: str) -> list[Step]:
    return gitlab_steps(GITLAB, job, {**repo.secrets(), **repo.vars(), "IMGB_GITLAB_TOKEN": "t"})


def _unshare_out_of_band(repo: Repo, checkout: Path) -> str:
    """Someone unshares the copy in local-2 from the account, in the console (the provider API)."""
    out = subprocess.run(
        ["imgb", "-C", str(checkout), "output", "--json"],
        env={**repo.env(), "IMGB_PG_CONN_STR": repo.dsn},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    outputs = json.loads(out)
    copy_id = outputs["app_image_ids"]["value"]["local-2"]
    LocalProvider(repo.store, "local-1").delete(Kind.SHARE, f"{copy_id}/100000000001", {"region": "local-2"})
    return copy_id


def _flow(repo: Repo, steps: dict[str, list[Step]]) -> None:
    # Pull request: check, plan, markdown for the comment, the saved plan as the artifact.
    pr = repo.checkout()
    ran = run_imgb_commands(steps["plan"], pr, repo.env())
    _ok(ran)
    assert _commands(ran) == [
        'imgb -C "$IMGB_DIR" fmt',
        'imgb -C "$IMGB_DIR" validate',
        'imgb -C "$IMGB_DIR" plan',
        "imgb show imgb.plan",
    ]
    md = (pr / "imgb-plan.md").read_text()
    assert md.startswith(MARKER + "\n") and "Plan: 5 to add" in md and "```mermaid" in md
    assert "image.app will be built" in ran[-1].stdout
    assert repo.dsn not in md and repo.dsn not in (pr / "imgb.plan").read_text()

    # Merge: a fresh checkout of the merge commit, the artifact downloaded into it.
    merged = repo.checkout()
    for name in ARTIFACTS:
        shutil.copy(pr / name, merged / name)
    ran = run_imgb_commands(steps["apply"], merged, repo.env())
    _ok(ran)
    assert _commands(ran) == ['imgb -C "$IMGB_DIR" apply']
    assert "Apply complete! 5 action(s)" in ran[0].stdout

    # The next pull request sees nothing to do; the schedule sees no drift.
    nxt = repo.checkout()
    _ok(run_imgb_commands(steps["plan"], nxt, repo.env()))
    assert "**No changes.**" in (nxt / "imgb-plan.md").read_text()
    sched = repo.checkout()
    ran = run_imgb_commands(steps["drift"], sched, repo.env())
    _ok(ran)
    assert "**No drift.**" in (sched / "imgb-drift.md").read_text()

    # Drift: found, exit code 3, a report fit for an issue.
    copy_id = _unshare_out_of_band(repo, sched)
    sched = repo.checkout()
    ran = run_imgb_commands(steps["drift"], sched, repo.env())
    _ok(ran, 3)
    assert [r.code for r in ran] == [3]
    report = (sched / "imgb-drift.md").read_text()
    assert report.startswith(DRIFT_MARKER + "\n")
    assert f'| `share.app["local-2/100000000001"]` | `{copy_id}/100000000001` | was unshared outside imgb |' in report


@pytest.mark.pg
@pytest.mark.sandbox
def test_github_workflow_runs_end_to_end(tmp_path: Path, pg_dsn: str, pg_schema: str) -> None:
    repo = Repo(tmp_path, pg_schema, pg_dsn)
    _flow(repo, {job: _github(repo, job) for job in ("plan", "apply", "drift")})


@pytest.mark.pg
@pytest.mark.sandbox
def test_gitlab_pipeline_runs_end_to_end(tmp_path: Path, pg_dsn: str, pg_schema: str) -> None:
    repo = Repo(tmp_path, pg_schema, pg_dsn)
    _flow(repo, {"plan": _gitlab(repo, "imgb-plan"), "apply": _gitlab(repo, "imgb-apply"), "drift": _gitlab(repo, "imgb-drift")})


@pytest.mark.pg
@pytest.mark.sandbox
def test_a_reviewed_plan_that_went_stale_is_refused_at_merge(tmp_path: Path, pg_dsn: str, pg_schema: str) -> None:
    """Two pull requests planned against the same state; the second to merge must not apply a
    plan made before the first changed the images."""
    repo = Repo(tmp_path, pg_schema, pg_dsn)
    plan, apply = _github(repo, "plan"), _github(repo, "apply")
    first = repo.checkout()
    _ok(run_imgb_commands(plan, first, repo.env()))
    repo.release = "2024.07"
    second = repo.checkout()
    _ok(run_imgb_commands(plan, second, repo.env()))

    merged = repo.checkout()  # the second pull request merges first
    shutil.copy(second / "imgb.plan", merged / "imgb.plan")
    _ok(run_imgb_commands(apply, merged, repo.env()))

    repo.release = "2024.06"
    merged = repo.checkout()
    shutil.copy(first / "imgb.plan", merged / "imgb.plan")
    ran = run_imgb_commands(apply, merged, repo.env())
    assert ran[0].code == 1 and "Saved plan is stale" in ran[0].stderr and "Apply complete" not in ran[0].stdout


def test_workflows_keep_the_plan_as_an_artifact_and_serialise_applies() -> None:
    import yaml

    gh = yaml.safe_load(GITHUB.read_text())
    upload = next(s for s in gh["jobs"]["plan"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert set(upload["with"]["path"].split()) == set(ARTIFACTS)
    assert gh["jobs"]["apply"]["concurrency"] == {"group": "imgb-apply", "cancel-in-progress": False}
    assert "merged" in gh["jobs"]["apply"]["if"]
    gl = yaml.safe_load(GITLAB.read_text())
    assert set(gl["imgb-plan"]["artifacts"]["paths"]) == set(ARTIFACTS)
    assert gl["imgb-apply"]["resource_group"] == "imgb-apply"
