"""Opening the backend a configuration's ``imgb { backend ... }`` block names."""

from __future__ import annotations

from pathlib import Path

from imgb.fsops import ALLOW_PATHS_ENV, allowed_outside
from imgb.reconciler.config.model import BackendConfig
from imgb.state.backend import Backend, BackendError


def open_backend(config_dir: Path, backend_config: BackendConfig) -> Backend:
    """The backend for ``backend_config``; a relative local path is relative to ``config_dir``."""
    if backend_config.type == "local":
        from imgb.state.local import LocalBackend

        path = Path(backend_config.path).expanduser()
        full = path if path.is_absolute() else config_dir / path
        if not allowed_outside(full.parent, config_dir):
            where = f" ({backend_config.pos})" if backend_config.pos else ""
            raise BackendError(
                f'the local backend\'s path "{backend_config.path}"{where} is outside the configuration directory '
                f"{config_dir}. A configuration may not choose a state elsewhere (a pull request could read or "
                f"destroy another project's state). To allow it, the operator sets {ALLOW_PATHS_ENV}="
                f"{full.parent} (colon-separated directories) or passes -allow-path={full.parent}.")
        inside = allowed_outside(full.parent, config_dir, env={})
        return LocalBackend(full, confine=config_dir if inside else None)
    if backend_config.type == "pg":
        from imgb.state.postgres import PostgresBackend

        return PostgresBackend(backend_config.conn_str, backend_config.schema_name)
    where = f" ({backend_config.pos})" if backend_config.pos else ""
    raise BackendError(f'unknown backend type "{backend_config.type}"{where}; use "local" or "pg".')
