"""``imgb workspace list|new|select|delete``, through ``state/workspace.py``."""

from __future__ import annotations

from imgb.reconciler.project import Project
from imgb.state import workspace
from imgb.state.names import check_workspace_name


def list_all(project: Project) -> tuple[list[str], str]:
    """Every workspace, and the selected one (listed even before its state is first written)."""
    current = project.workspace
    names = set(workspace.list_workspaces(project.backend())) | {current}
    return sorted(names), current


def new(project: Project, name: str) -> None:
    """Create the workspace and select it."""
    check_workspace_name(name)  # before anything is opened or written
    backend = project.backend()
    workspace.create_workspace(backend, name)
    workspace.select_workspace(project.directory, backend, name)


def select(project: Project, name: str) -> None:
    check_workspace_name(name)
    workspace.select_workspace(project.directory, project.backend(), name)


def delete(project: Project, name: str, *, force: bool) -> None:
    check_workspace_name(name)
    workspace.delete_workspace(project.backend(), name, force=force, selected=project.workspace)
