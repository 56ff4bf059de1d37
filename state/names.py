"""Workspace names: one rule for every backend, since a name becomes a directory (local) or a key (pg)."""

from __future__ import annotations

import re

from imgb.state.backend import DEFAULT_WORKSPACE, BackendError

# Letters, digits, "-", "_" and "." (not first), so a name is always a safe single path component.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$")


class WorkspaceError(BackendError):
    """A workspace operation the user asked for cannot be done (bad name, missing, not empty)."""


def check_workspace_name(name: str) -> str:
    """Return ``name`` if it is a valid workspace name, else raise ``WorkspaceError`` saying the rule."""
    if name == DEFAULT_WORKSPACE or _NAME_RE.match(name):
        return name
    raise WorkspaceError(
        f'"{name}" is not a valid workspace name: use 1 to 90 letters, digits, "-", "_" or ".", '
        "starting with a letter or a digit."
    )
