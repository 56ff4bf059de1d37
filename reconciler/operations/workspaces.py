"""``imgb workspace list|new|select|delete``, through ``state/workspace.py``."""

from __future__ import annotations

from imgb.reconciler.project import Project
from imgb.state import workspace
from imgb.state.names import check_workspace_name


def list_all(project: Project) -> tuple[list[str], str]:
    """Every workspace ("default" first, as Terraform lists them), and the selected one (listed
    even before its state is first written)."""
    current = project.workspace
    names = workspace.list_workspaces(project.backend())
    return (names if current in names else [names[0], *sorted([*names[1:], current])]), current


def new(project: Project, name: str) -> None:
    """Create the workspace and select it."""
    check_workspace_name(name)  # before anything is opened or written
    backend = project.backend()
    workspace.create_workspace(backend, name)
    workspace.select_workspace(project.directory, backend, name)


def select(project: Project, name: str, *, or_create: bool = False) -> bool:
    """Select the workspace; with ``or_create``, create it first when it does not exist. True if
    it was created."""
    check_workspace_name(name)
    backend = project.backend()
    created = or_create and name not in workspace.list_workspaces(backend)
    if created:
        workspace.create_workspace(backend, name)
    workspace.select_workspace(project.directory, backend, name)
    return created


def delete(project: Project, name: str, *, force: bool) -> None:
    check_workspace_name(name)
    workspace.delete_workspace(
        project.backend(), name, force=force, selected=project.workspace, lock=project.lock, lock_timeout=project.lock_timeout
    )
