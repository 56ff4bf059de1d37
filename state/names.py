"""Workspace names: one rule for every backend, since a name becomes a directory (local) or a key (pg)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from imgb.state.backend import DEFAULT_WORKSPACE, BackendError

ENVIRONMENT_FILE = Path(".imgb") / "environment"
"""The selected workspace, in the configuration directory (Terraform's .terraform/environment)."""
WORKSPACE_ENV = "IMGB_WORKSPACE"
"""Overrides it, as TF_WORKSPACE does."""

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


def selected_workspace(config_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """The workspace commands use: IMGB_WORKSPACE (of ``env``, default the process's), else
    .imgb/environment, else "default". The configuration's ``imgb.workspace`` is this."""
    from imgb.diagnostics import DiagnosticError, error
    from imgb.fsops import read_inside

    env_value = (os.environ if env is None else env).get(WORKSPACE_ENV)
    if env_value:
        return check_workspace_name(env_value.strip())
    f = config_dir / ENVIRONMENT_FILE
    if not f.exists() and not f.is_symlink():
        return DEFAULT_WORKSPACE
    try:  # read below the configuration directory: a committed link out of it is refused unread
        text = read_inside(config_dir, str(ENVIRONMENT_FILE)).decode(errors="replace").strip()
    except OSError as e:
        raise DiagnosticError(error(
            "Cannot read the selected workspace",
            f"{ENVIRONMENT_FILE}: {e.strerror}. Remove it, or select the workspace again with "
            "`imgb workspace select NAME`.", None)) from None
    return check_workspace_name(text) if text else DEFAULT_WORKSPACE
