"""Workspaces (several states for one configuration, like Terraform's) and moving a state between backends.

The CLI's ``workspace list|show|new|select|delete`` call these. The selected workspace is kept in
``.imgb/environment`` in the configuration directory (Terraform's ``.terraform/environment``);
``IMGB_WORKSPACE`` overrides it, as ``TF_WORKSPACE`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

from imgb.diagnostics import did_you_mean
from imgb.state.backend import DEFAULT_WORKSPACE, Backend, LockError, LockInfo, SerialConflict
from imgb.state.manager import PushRefused, StateManager, encode_state
from imgb.state.model import State
from imgb.state.names import ENVIRONMENT_FILE, WorkspaceError, check_workspace_name
from imgb.state.names import (
    WORKSPACE_ENV as WORKSPACE_ENV,  # read in names.py, which the configuration uses too
)
from imgb.state.names import selected_workspace as selected_workspace


def list_workspaces(backend: Backend) -> list[str]:
    """Every workspace, "default" first, then by name."""
    names = set(backend.workspaces())
    names.discard(DEFAULT_WORKSPACE)
    return [DEFAULT_WORKSPACE, *sorted(names)]


def create_workspace(backend: Backend, name: str) -> State:
    """Create an empty workspace (its state gets serial 1 and a lineage of its own)."""
    check_workspace_name(name)
    if name in backend.workspaces():
        raise WorkspaceError(
            f'workspace "{name}" already exists; select it with `imgb workspace select {name}`.'
        )
    state = State(serial=1)
    try:
        backend.write(encode_state(state), serial=1, expected_serial=0, workspace=name, clear_journal=True)
    except SerialConflict:
        raise WorkspaceError(f'workspace "{name}" was just created by someone else.') from None
    return state


def delete_workspace(
    backend: Backend, name: str, *, force: bool = False, selected: str | None = None, lock: bool = True, lock_timeout: float = 0.0
) -> None:
    """Delete a workspace, refusing "default", the selected one, a locked one (waiting up to
    ``lock_timeout`` for it; ``lock=False`` takes no lock), and one that still has resources or
    operations in progress unless ``force``."""
    check_workspace_name(name)
    if name == DEFAULT_WORKSPACE:
        raise WorkspaceError('the "default" workspace cannot be deleted.')
    if name == selected:
        raise WorkspaceError(
            f'workspace "{name}" is the selected one; select another (`imgb workspace select default`) and '
            "delete it then."
        )
    existing = list_workspaces(backend)
    if name not in existing:
        raise WorkspaceError(f'there is no workspace "{name}".{did_you_mean(name, existing)}')
    info = LockInfo(operation="workspace delete")
    if lock:
        backend.lock(info, timeout=lock_timeout, workspace=name)
    try:
        state = StateManager(backend, name).load()
        if (state.resources or state.operations) and not force:
            raise WorkspaceError(
                f'workspace "{name}" still manages {len(state.resources)} resource(s) and has '
                f"{len(state.operations)} operation(s) in progress; deleting it would forget them without "
                "deleting them. Run `imgb destroy` in that workspace first, or force the deletion."
            )
        backend.delete_workspace(name)
    finally:
        try:
            if lock:
                backend.unlock(info.id, name)
        except LockError:  # the local backend removes the lock along with the workspace
            pass


def select_workspace(config_dir: Path, backend: Backend, name: str) -> None:
    """Make ``name`` (which must exist) the selected workspace."""
    check_workspace_name(name)
    existing = list_workspaces(backend)
    if name not in existing:
        raise WorkspaceError(
            f'there is no workspace "{name}".{did_you_mean(name, existing)} Create it with '
            f"`imgb workspace new {name}`."
        )
    # Explicit modes, whatever the umask: whoever can write this file picks the state you apply to.
    path = config_dir / ENVIRONMENT_FILE
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o755)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)  # never through a link
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(fd, 0o644)
        out.write(name + "\n")
    os.replace(tmp, path)


def migrate(
    src: Backend, dst: Backend, workspace: str = DEFAULT_WORKSPACE, *, force: bool = False
) -> State | None:
    """Copy one workspace's state from ``src`` to ``dst``, pending journal applied, keeping its lineage
    and serial (serial + 1 when the journal held changes, since the content is then newer than that
    snapshot). Both are locked meanwhile. Returns the state copied, or None when ``src`` has none.

    ``dst`` may be empty or hold an older serial of the same lineage; anything else is refused
    unless ``force``."""
    check_workspace_name(workspace)
    src_info, dst_info = LockInfo(operation="migrate"), LockInfo(operation="migrate")
    src.lock(src_info, workspace=workspace)
    try:
        dst.lock(dst_info, workspace=workspace)
        try:
            data = src.read(workspace)
            entries = src.journal(workspace)
            if data is None and not entries:
                return None
            state = StateManager(src, workspace).load()
            if entries:
                state.serial += 1
            target = StateManager(dst, workspace)
            existing_data = dst.read(workspace)
            existing = target.load() if existing_data is not None else None
            if existing is not None and not force:
                if existing.lineage != state.lineage:
                    raise PushRefused(
                        f"the destination already holds a different state (lineage {existing.lineage}, "
                        f'not {state.lineage}) in workspace "{workspace}"; migrating would replace it. Remove it '
                        "first or force the migration."
                    )
                if existing.serial > state.serial:
                    raise PushRefused(
                        f"the destination holds a newer serial ({existing.serial}) of this state than the source "
                        f'({state.serial}) in workspace "{workspace}"; force the migration to replace it.'
                    )
            dst.write(
                encode_state(state),
                serial=state.serial,
                expected_serial=existing.serial if existing is not None else 0,
                workspace=workspace,
                clear_journal=True,
            )
            return state
        finally:
            dst.unlock(dst_info.id, workspace)
    finally:
        src.unlock(src_info.id, workspace)
