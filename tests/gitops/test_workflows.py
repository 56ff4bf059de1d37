"""The CI workflows `imgb init` writes, run as written, on both forges.

A real Git repository made by `imgb init` (its configuration at the root or in infra/prod), an imgb
installed into a fresh virtual environment from a pinned archive (the source `imgb init` then
writes into ci/imgb/requirements.txt), a real PostgreSQL state, the local provider's real builds,
and the forges' REST APIs served by a loopback stub (tests/gitops/forge.py) that records what the
jobs post. Every step of every job runs in order (tests/gitops/runner.py), each job in a fresh
checkout of the commit the forge would check out: for a pull request the merge of its head into
the default branch (GitHub's refs/pull/N/merge, GitLab's merged results), for a merge the merge
commit.

pull request (one plan comment, replaced by every run, "plan failed" with the error) -> merge
(exactly that plan, checked by hash; an apply comment) -> two pull requests planned against the
same state, the second merge refused as stale -> a merge whose head was never planned, refused ->
schedule (no drift) -> an image deleted out of band -> schedule (one issue, updated, not repeated).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgb.addresses import Kind
from imgb.providers.local.provider import LocalProvider
from imgb.reconciler.scaffold import CI_FILES, WORKFLOWS, Options, file_text
from tests.gitops.forge import GITLAB_TOKEN, Forge
from tests.gitops.runner import GitHubActions, GitLabCI, JobRun

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gitops"
PLAN_MARKER, APPLY_MARKER, DRIFT_MARKER = "<!-- imgb-plan -->", "<!-- imgb-apply -->", "<!-- imgb-drift -->"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# -- an imgb installed as CI installs it -------------------------------------------------------------
@pytest.fixture(scope="session")
def imgb_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with imgb installed from a wheel of this checkout, by URL and SHA-256:
    the kind of pinned source ci/imgb/requirements.txt asks for. Returns its bin directory."""
    tmp = tmp_path_factory.mktemp("imgb-venv")
    source = tmp / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("imgb", "reconciler", "providers", "state"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("imgb-*.whl")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"imgb[pg] @ {wheel.as_uri()}#sha256={sha}"],
                   check=True, capture_output=True, timeout=900)
    return venv / "bin"


@pytest.fixture
def pg_database(pg_dsn: str) -> Iterator[str]:
    """A database of its own: the connection string is all CI is given (IMGB_PG_CONN_STR)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = "gitops_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield make_conninfo(pg_dsn, dbname=name)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# -- a repository ------------------------------------------------------------------------------------
class Repo:
    """A Git repository started by `imgb init`, with branches for pull requests."""

    def __init__(self, root: Path, imgb_bin: Path, imgb_dir: str):
        self.root, self.imgb_dir = root, imgb_dir
        root.mkdir()
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "ci@example.com")
        self.git("config", "user.name", "CI")
        args = ["init", "--backend", "pg"] + ([imgb_dir] if imgb_dir != "." else [])
        r = subprocess.run([str(imgb_bin / "imgb"), *args], cwd=root, capture_output=True, text=True, timeout=120,
                           env={"PATH": f"{imgb_bin}:{SYSTEM_PATH}", "HOME": str(root.parent), "LANG": "C.UTF-8"})
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Before pushing: pin" not in r.stdout, "imgb init should have pinned the imgb it was installed as"
        self.init_output = r.stdout
        self.commit("Start imgb")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True, text=True).stdout.strip()

    @property
    def config(self) -> Path:
        return self.root / self.imgb_dir / "main.imgb.hcl"

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def push(self, branch: str, old: str, new: str, message: str) -> str:
        """Commit a change of the configuration to ``branch`` (made from main when new)."""
        branches = self.git("branch", "--list", branch)
        self.git("checkout", "-q", *(["-b", branch, "main"] if not branches else [branch]))
        text = self.config.read_text()
        assert old in text, old
        self.config.write_text(text.replace(old, new, 1))
        sha = self.commit(message)
        self.git("checkout", "-q", "main")
        return sha

    def test_merge(self, head: str) -> str:
        """The forge's merge of ``head`` into main, on no branch (refs/pull/N/merge)."""
        main = self.git("rev-parse", "main")
        tree = self.git("merge-tree", "--write-tree", main, head)
        return self.git("commit-tree", tree, "-p", main, "-p", head, "-m", "test merge")

    def merge(self, branch: str) -> str:
        self.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch)
        return self.git("rev-parse", "HEAD")

    def tree(self, sha: str, into: Path) -> None:
        archive = subprocess.run(["git", "archive", sha], cwd=self.root, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


# -- the two forges, driven the same way -------------------------------------------------------------
class GitHubDriver:
    name = "github"

    def __init__(self, repo: Repo, forge: Forge, imgb_bin: Path, tmp: Path, dsn: str, store: Path):
        self.repo, self.forge = repo, forge
        self.ci = GitHubActions(repo.root / ".github/workflows/imgb.yml", forge, imgb_bin,
                                vars={"IMGB_HOME": str(store)}, secrets={"IMGB_PG_CONN_STR": dsn},
                                checkout=repo.tree, tmp=tmp, base_env=base_env(tmp))
        self.heads: dict[int, str] = {}

    def others_comment(self, number: int, count: int) -> None:
        self.forge.state.comments[number] = [{"id": self.forge.new_id(), "body": f"LGTM {i}", "user": {"login": "alice"}}
                                             for i in range(count)]

    def plan(self, number: int, head: str, *, merged_results: bool = True) -> JobRun:
        action = "synchronize" if number in self.heads else "opened"
        self.heads[number] = head
        self.forge.state.pulls[number] = {"number": number, "head": {"sha": head}, "state": "open"}
        event = {"action": action, "number": number, "pull_request": {"number": number, "head": {"sha": head}, "merged": False}}
        return self.ci.run("plan", "pull_request", event, sha=self.repo.test_merge(head))

    def pushed_without_plan(self, number: int, head: str) -> None:
        self.heads[number] = head
        self.forge.state.pulls[number] = {"number": number, "head": {"sha": head}, "state": "open"}

    def merge(self, number: int, branch: str) -> JobRun:
        merge_sha = self.repo.merge(branch)
        pr = {"number": number, "head": {"sha": self.heads[number]}, "merged": True, "merge_commit_sha": merge_sha}
        return self.ci.run("apply", "pull_request", {"action": "closed", "number": number, "pull_request": pr}, sha=merge_sha)

    def drift(self) -> JobRun:
        return self.ci.run("drift", "schedule", {"schedule": "17 6 * * *"}, sha=self.repo.git("rev-parse", "main"))

    def comments(self, number: int, marker: str) -> list[str]:
        return [c["body"] for c in self.forge.marked(self.forge.state.comments.get(number, []), marker)]

    def issues(self) -> list[str]:
        return [i["body"] for i in self.forge.state.gh_issues.values()]


class GitLabDriver:
    name = "gitlab"

    def __init__(self, repo: Repo, forge: Forge, imgb_bin: Path, tmp: Path, dsn: str, store: Path):
        self.repo, self.forge = repo, forge
        variables = {"IMGB_PG_CONN_STR": dsn, "IMGB_GITLAB_TOKEN": GITLAB_TOKEN, "IMGB_HOME": str(store)}
        self.ci = GitLabCI(repo.root / ".gitlab-ci.yml", forge, imgb_bin, variables, checkout=repo.tree, tmp=tmp,
                           base_env=base_env(tmp))

    def others_comment(self, number: int, count: int) -> None:
        self.forge.state.notes[number] = [{"id": self.forge.new_id(), "body": f"LGTM {i}", "system": False} for i in range(count)]

    def plan(self, number: int, head: str, *, merged_results: bool = True) -> JobRun:
        self.forge.state.mrs[number] = {"iid": number, "sha": head, "state": "opened"}
        pipeline = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": str(number)}
        if merged_results:  # the pipeline runs on the merge of the head into the target branch
            sha = self.repo.test_merge(head)
            self.forge.state.commits[sha] = [self.repo.git("rev-parse", "main"), head]
            pipeline |= {"CI_COMMIT_SHA": sha, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": head,
                         "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result"}
        else:
            pipeline |= {"CI_COMMIT_SHA": head, "CI_MERGE_REQUEST_EVENT_TYPE": "detached"}
        return self.ci.run("imgb-plan", pipeline)

    def pushed_without_plan(self, number: int, head: str) -> None:
        self.forge.state.mrs[number] = {"iid": number, "sha": head, "state": "opened"}

    def merge(self, number: int, branch: str) -> JobRun:
        merge_sha = self.repo.merge(branch)
        self.forge.state.mrs[number]["state"] = "merged"
        self.forge.state.commit_mrs[merge_sha] = [number]
        return self.ci.run("imgb-apply", {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_SHA": merge_sha, "CI_COMMIT_BRANCH": "main"})

    def drift(self) -> JobRun:
        main = self.repo.git("rev-parse", "main")
        return self.ci.run("imgb-drift", {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_SHA": main, "CI_COMMIT_BRANCH": "main"})

    def comments(self, number: int, marker: str) -> list[str]:
        return [n["body"] for n in self.forge.marked(self.forge.state.notes.get(number, []), marker)]

    def issues(self) -> list[str]:
        return [i["description"] for i in self.forge.state.gl_issues.values()]


def base_env(tmp: Path) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}  # this machine's package index settings
    return keep | {"PATH": SYSTEM_PATH, "HOME": str(home), "LANG": "C.UTF-8"}


DRIVERS: dict[str, Any] = {"github": GitHubDriver, "gitlab": GitLabDriver}


def ok(job: JobRun) -> JobRun:
    assert job.status == "success", job.output
    return job


def failed(job: JobRun) -> JobRun:
    assert job.status == "failure", job.output
    return job


def meta(comment: str) -> dict[str, Any]:
    line = comment.rstrip().splitlines()[-1]
    assert line.startswith("<!-- imgb-plan-meta "), comment
    return dict(json.loads(line[len("<!-- imgb-plan-meta "):-len(" -->")]))


def world(tmp_path: Path, imgb_venv: Path, dsn: str, forge_name: str, imgb_dir: str) -> tuple[Repo, Any, Forge, Path]:
    forge = Forge()
    repo = Repo(tmp_path / "repo", imgb_venv, imgb_dir)
    store = tmp_path / "store"
    runs = tmp_path / "runs"
    runs.mkdir()
    return repo, DRIVERS[forge_name](repo, forge, imgb_venv, runs, dsn, store), forge, store


@pytest.mark.pg
@pytest.mark.sandbox
@pytest.mark.parametrize("forge_name", ["github", "gitlab"])
def test_a_subdirectory_repository_from_imgb_init_runs_its_workflows(
    forge_name: str, tmp_path: Path, imgb_venv: Path, pg_database: str
) -> None:
    repo, ci, forge, store = world(tmp_path, imgb_venv, pg_database, forge_name, "infra/prod")
    assert "IMGB_DIR" in repo.init_output and (repo.root / "infra/prod/.gitignore").is_file()
    try:
        # Pull request 1, behind 130 comments of others (two pages): one plan comment.
        ci.others_comment(1, 130)
        head = repo.push("pr1", 'echo "Built by imgb"', 'echo "Built by imgb, pull request 1"', "motd")
        job = ok(ci.plan(1, head))
        [comment] = ci.comments(1, PLAN_MARKER)
        assert "Plan: 4 to add" in comment and meta(comment)["sha"] == head and meta(comment)["ok"] is True
        assert pg_database not in comment

        # A push that breaks the configuration: the same comment now says the plan failed, and why.
        head = repo.push("pr1", "  retain       = 2\n", "  retain       = 2\n  colour       = \"red\"\n", "oops")
        job = failed(ci.plan(1, head))
        [comment] = ci.comments(1, PLAN_MARKER)
        assert "### imgb plan failed" in comment and "colour" in comment and "Plan: 4 to add" not in comment
        assert meta(comment) == {"ok": False, "run": meta(comment)["run"], "sha": head}

        # Fixed: the comment shows the new plan; merging applies exactly it.
        head = repo.push("pr1", '  colour       = "red"\n', "", "fix")
        ok(ci.plan(1, head))
        [comment] = ci.comments(1, PLAN_MARKER)
        assert "Plan: 4 to add" in comment and meta(comment)["sha"] == head
        job = ok(ci.merge(1, "pr1"))
        assert "Apply complete! 4 action(s)" in job.output and "imgb.plan: OK" in job.output
        [applied] = ci.comments(1, APPLY_MARKER)
        assert "### imgb apply: applied" in applied and "Apply complete!" in applied
        assert len(ci.comments(1, PLAN_MARKER)) == 1

        # Two pull requests planned against the same state: the second merge is refused as stale.
        head2 = repo.push("pr2", 'ENV IMAGE_ROLE="base"', 'ENV IMAGE_ROLE="base-2"', "role")
        head3 = repo.push("pr3", 'LABEL role="base"', 'LABEL role="base-3"', "label")
        ok(ci.plan(2, head2))
        ok(ci.plan(3, head3))
        ok(ci.merge(3, "pr3"))
        job = failed(ci.merge(2, "pr2"))
        assert "Saved plan is stale" in job.output and "Apply complete" not in job.output
        [refused] = ci.comments(2, APPLY_MARKER)
        assert "### imgb apply: not applied" in refused and "Saved plan is stale" in refused

        # A head that was pushed after the last plan was never reviewed: refused before imgb runs.
        head4 = repo.push("pr4", 'LABEL role="base-3"', 'LABEL role="base-4"', "four")
        ok(ci.plan(4, head4))
        ci.pushed_without_plan(4, repo.push("pr4", 'LABEL role="base-4"', 'LABEL role="base-5"', "five"))
        job = failed(ci.merge(4, "pr4"))
        [refused] = ci.comments(4, APPLY_MARKER)
        assert "its plan was not reviewed" in refused and "Apply complete" not in job.output

        # The schedule: no drift, then an image copy deleted by hand: one issue, kept up to date.
        ok(ci.drift())
        assert ci.issues() == []
        deleted = delete_copy_out_of_band(store)
        ok(ci.drift())
        ok(ci.drift())
        [issue] = ci.issues()
        assert issue.startswith(DRIFT_MARKER) and deleted in issue and "was deleted outside imgb" in issue
        assert forge.state.unexpected == []
        assert any("page=2" in raw for _, raw in forge.state.requests), "the comments were read past the first page"
    finally:
        forge.close()


@pytest.mark.pg
@pytest.mark.sandbox
@pytest.mark.parametrize("forge_name", ["github", "gitlab"])
def test_a_root_repository_from_imgb_init_runs_its_workflows(
    forge_name: str, tmp_path: Path, imgb_venv: Path, pg_database: str
) -> None:
    repo, ci, forge, _ = world(tmp_path, imgb_venv, pg_database, forge_name, ".")
    try:
        head = repo.push("pr1", 'echo "Built by imgb"', 'echo "Built by imgb, pull request 1"', "motd")
        ok(ci.plan(1, head, merged_results=False))
        job = ok(ci.merge(1, "pr1"))
        assert "Apply complete! 4 action(s)" in job.output
        head = repo.push("pr2", "imgb {", "# Reviewed by the platform team.\nimgb {", "comment")
        ok(ci.plan(2, head, merged_results=False))
        [comment] = ci.comments(2, PLAN_MARKER)
        assert "**No changes.**" in comment
        assert forge.state.unexpected == []
    finally:
        forge.close()


def delete_copy_out_of_band(store: Path) -> str:
    """Someone deletes the image's copy in local-2 in the console (the provider's API)."""
    provider = LocalProvider(store, "local-1")
    record = max(provider.store.records("local-2", "images"), key=lambda r: (r.get("created", ""), r["id"]))
    provider.delete(Kind.COPY, record["id"], {"region": "local-2"})
    return str(record["id"])


# -- the files themselves ----------------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["local", "alicloud"])
@pytest.mark.parametrize("imgb_dir", [".", "infra/prod"])
def test_workflows_match_the_forges_official_schemas(provider: str, imgb_dir: str, tmp_path: Path) -> None:
    options = Options(provider=provider, backend="pg", imgb_dir=imgb_dir)
    schemas = {".github/workflows/imgb.yml": "vendor.github-workflows", ".gitlab-ci.yml": "vendor.gitlab-ci"}
    for dest, schema in schemas.items():
        path = tmp_path / dest.replace("/", "_")
        path.write_text(file_text(dest, options))
        r = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
    # The check can fail: a job without runs-on is not a GitHub workflow.
    bad = tmp_path / "bad.yml"
    bad.write_text(file_text(".github/workflows/imgb.yml", options).replace("    runs-on:", "    runs_on:"))
    r = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "runs-on" in r.stdout


def test_examples_gitops_carries_the_workflows_imgb_init_writes() -> None:
    for dest in (*WORKFLOWS, "ci/imgb/ci.py"):
        assert (EXAMPLE / dest).read_text() == file_text(dest, Options(backend="pg")), f"examples/gitops/{dest} differs"
    assert set(CI_FILES) <= {str(p.relative_to(EXAMPLE)) for p in EXAMPLE.rglob("*") if p.is_file()}
