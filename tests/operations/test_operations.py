"""The operations of reconciler/operations called as a program would, without the CLI: requests in,
data out, nothing printed. Real local builds, a real state file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import pytest

from imgb.diagnostics import DiagnosticError
from imgb.reconciler.errors import OperationError
from imgb.reconciler.operations import state as state_ops
from imgb.reconciler.operations import workspaces
from imgb.reconciler.operations.apply import ApplyRequest, apply
from imgb.reconciler.operations.plan import PlanRequest, plan
from imgb.reconciler.operations.views import Quiet
from imgb.reconciler.plan import Action
from imgb.reconciler.planner import PlanOptions
from imgb.reconciler.project import Project, VarInputs

CONFIG = """
provider "local" {
  root   = ".imgb/cloud"
  region = "local-1"
}

variable "greeting" {
  default = "hello"
}

component "motd" {
  content = "RUN echo ${var.greeting} > /etc/motd"
}

template "web" {
  base_image = "busybox"
  build      = "COMPONENT ${component.motd.id}"
  distribute = [distribution.second]
}

distribution "second" {
  regions  = ["local-2"]
  accounts = ["100000000001"]
}
"""


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IMGB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("IMGB_WORKSPACE", raising=False)
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "main.imgb.hcl").write_text(CONFIG)
    return d


def project(d: Path, *var: str) -> Project:
    return Project(d, VarInputs(var))


def test_plan_then_apply_then_nothing_to_do(directory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = plan(project(directory), PlanRequest(), Quiet())
    assert first.counts()["builds"] == 1 and first.counts()["copies"] == 1 and first.counts()["shares"] == 1
    assert not (directory / "imgb.state.json").exists(), "a plan writes no state"

    view = Quiet()
    outcome = apply(project(directory), ApplyRequest(), view)
    assert outcome.result is not None and outcome.result.ok, outcome.result
    assert view.shown == [outcome.plan] and outcome.plan.counts() == first.counts()
    assert len(outcome.result.done) == len(first.actionable())

    again = apply(project(directory), ApplyRequest(), Quiet())
    assert again.result is None and not again.plan.actionable() and not again.cancelled
    assert capsys.readouterr() == ("", ""), "operations print nothing"


def test_an_unconfirmed_apply_changes_nothing(directory: Path) -> None:
    outcome = apply(project(directory), ApplyRequest(), Quiet(approve=False))
    assert outcome.cancelled and outcome.result is None and outcome.plan.actionable()
    state = project(directory).state_manager().load()
    assert not state.resources and not state.operations


def test_a_saved_plan_is_applied_as_it_is(directory: Path) -> None:
    saved = directory / "p.imgbplan"
    made = plan(project(directory), PlanRequest(out=saved), Quiet())
    view = Quiet()
    outcome = apply(project(directory), ApplyRequest(plan_file=saved), view)
    assert outcome.result is not None and outcome.result.ok
    assert view.shown == [], "a saved plan is not planned or shown again"
    assert [c.address for c in outcome.plan.actionable()] == [c.address for c in made.actionable()]
    with pytest.raises(DiagnosticError, match="Saved plan is stale"):
        apply(project(directory), ApplyRequest(plan_file=saved), Quiet())


def test_destroy_and_targets(directory: Path) -> None:
    assert apply(project(directory), ApplyRequest(), Quiet()).result is not None
    targeted = plan(project(directory), PlanRequest(PlanOptions(destroy=True, targets=['copy.web["local-2"]'])), Quiet())
    assert {c.address for c in targeted.actionable()} == {'copy.web["local-2"]', 'share.web["local-2/100000000001"]'}
    with pytest.raises(DiagnosticError, match="Invalid resource address"):
        plan(project(directory), PlanRequest(PlanOptions(targets=["bucket.x"])), Quiet())
    gone = apply(project(directory), ApplyRequest(options=PlanOptions(destroy=True)), Quiet())
    assert gone.result is not None and gone.result.ok
    assert {c.action for c in gone.plan.actionable()} == {Action.DELETE}
    assert not project(directory).state_manager().load().resources


def test_state_surgery(directory: Path) -> None:
    assert apply(project(directory), ApplyRequest(), Quiet()).result is not None
    shown = state_ops.show(project(directory), "image.web")
    assert [a for a, _ in shown] == ["image.web"] and shown[0][1].id.startswith("m-")
    assert state_ops.move(project(directory), "template.web", "template.site") == 4  # the template, its image, copy and share
    st = project(directory).state_manager().load()
    assert {r.address for r in st.resources} >= {"template.site", "image.site", 'copy.site["local-2"]'}
    assert st.current == {"template.site": shown[0][1].image_hash}
    with pytest.raises(OperationError, match='no resource "template.web"'):
        state_ops.move(project(directory), "template.web", "template.other")
    with pytest.raises(OperationError, match="same kind"):
        state_ops.move(project(directory), "template.site", "component.site")
    # All or nothing: one address that is not there, and nothing is forgotten.
    with pytest.raises(OperationError, match='no resource "image.nope"'):
        state_ops.remove(project(directory), ["component.motd", "image.nope"])
    assert project(directory).state_manager().load().get("component.motd") is not None
    assert state_ops.remove(project(directory), ["component.motd"]) == ["component.motd"]
    assert project(directory).state_manager().load().get("component.motd") is None


def test_workspaces(directory: Path) -> None:
    assert workspaces.list_all(project(directory)) == (["default"], "default")
    workspaces.new(project(directory), "staging")
    assert workspaces.list_all(project(directory)) == (["default", "staging"], "staging")
    assert (directory / ".imgb" / "environment").stat().st_mode & 0o777 == 0o644
    with pytest.raises(Exception, match="is the selected one"):
        workspaces.delete(project(directory), "staging", force=False)
    workspaces.select(project(directory), "default")
    workspaces.delete(project(directory), "staging", force=False)
    assert workspaces.list_all(project(directory)) == (["default"], "default")
    with pytest.raises(Exception, match='no workspace "stagin"'):
        workspaces.select(project(directory), "stagin")


def test_force_unlock_of_an_unlocked_state_is_refused(directory: Path) -> None:
    with pytest.raises(OperationError, match="is not locked"):
        state_ops.force_unlock(project(directory), "x")


class Counts:
    """How often a command builds the resource graph and reads a COPY source's bytes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from imgb.commands import paths
        from imgb.reconciler import planner

        self.graphs = 0
        self.reads: list[str] = []
        real_graph, real_read = planner.build_graph, paths.sha256_file

        def build_graph(*args: Any, **kwargs: Any) -> Any:
            self.graphs += 1
            return real_graph(*args, **kwargs)

        def sha256_file(f: BinaryIO) -> str:
            self.reads.append(Path(f.name).name)  # type: ignore[arg-type]
            return real_read(f)

        monkeypatch.setattr(planner, "build_graph", build_graph)
        monkeypatch.setattr(paths, "sha256_file", sha256_file)
        self.paths = paths

    def fresh(self) -> Counts:
        """As a new imgb process starts: no digest remembered, nothing counted."""
        self.paths.DIGESTS.clear()
        self.graphs, self.reads = 0, []
        return self


def test_one_graph_per_plan_and_apply_and_each_copy_source_read_once(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: the graph is built once, by the plan, and apply does not hash the configuration
    again; a saved plan is applied without a graph, reading each COPY source once (to refuse the
    plan if it changed)."""
    (directory / "files").mkdir()
    (directory / "files" / "app.conf").write_text("x" * 100_000)
    (directory / "main.imgb.hcl").write_text(CONFIG.replace(
        'content = "RUN echo ${var.greeting} > /etc/motd"',
        'content = "COPY files/app.conf /etc/app.conf"'))
    counts = Counts(monkeypatch)

    saved = directory / "p.imgbplan"
    plan(project(directory), PlanRequest(out=saved), Quiet())
    assert (counts.graphs, counts.reads) == (1, ["app.conf"]), "a plan: one graph, each source read once"

    counts.fresh()
    outcome = apply(project(directory), ApplyRequest(plan_file=saved), Quiet())
    assert outcome.result is not None and outcome.result.ok
    assert (counts.graphs, counts.reads) == (0, ["app.conf"]), "a saved plan: no graph, the source read once to check it"

    (directory / "main.imgb.hcl").write_text(CONFIG.replace(
        'content = "RUN echo ${var.greeting} > /etc/motd"',
        'content = "COPY files/app.conf /etc/app.conf\\nRUN true"'))
    counts.fresh()
    outcome = apply(project(directory), ApplyRequest(), Quiet())
    assert outcome.result is not None and outcome.result.ok and outcome.plan.counts()["builds"] == 1
    assert (counts.graphs, counts.reads) == (1, ["app.conf"]), "apply without a plan file: its plan's graph only"
