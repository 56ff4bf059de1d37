"""Opening the backend a configuration's ``imgb { backend ... }`` block names."""

from __future__ import annotations

from pathlib import Path

from imgb.reconciler.config.model import BackendConfig
from imgb.state.backend import Backend, BackendError


def open_backend(config_dir: Path, backend_config: BackendConfig) -> Backend:
    """The backend for ``backend_config``; a relative local path is relative to ``config_dir``."""
    if backend_config.type == "local":
        from imgb.state.local import LocalBackend

        path = Path(backend_config.path).expanduser()
        return LocalBackend(path if path.is_absolute() else config_dir / path)
    if backend_config.type == "pg":
        from imgb.state.postgres import PostgresBackend

        return PostgresBackend(backend_config.conn_str, backend_config.schema_name)
    where = f" ({backend_config.pos})" if backend_config.pos else ""
    raise BackendError(f'unknown backend type "{backend_config.type}"{where}; use "local" or "pg".')
