"""Opening the backend a configuration's ``imgb { backend ... }`` block names."""

from __future__ import annotations

import os
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

        _pg_operator_checks(backend_config)
        return PostgresBackend(backend_config.conn_str, backend_config.schema_name)
    where = f" ({backend_config.pos})" if backend_config.pos else ""
    raise BackendError(f'unknown backend type "{backend_config.type}"{where}; use "local" or "pg".')


PG_OPERATOR_ENV = ("IMGB_PG_CONN_STR", "PGHOST", "PGHOSTADDR", "PGSERVICE", "PGPASSWORD")
"""Where the operator gives the PostgreSQL connection (and its credentials)."""
PG_SCHEMA_ENV = "IMGB_PG_SCHEMA"


def _pg_operator_checks(cfg: BackendConfig) -> None:
    """The connection and, when the operator pins it, the schema are the operator's: a pull
    request's ``conn_str`` must not send the operator's credentials to another server, nor its
    ``schema_name`` make plan read (and plan to destroy) another project's state in a shared
    database."""
    where = f" ({cfg.pos})" if cfg.pos else ""
    given = sorted(v for v in PG_OPERATOR_ENV if os.environ.get(v))
    if cfg.conn_str is not None and given:
        raise BackendError(
            f'the "pg" backend\'s conn_str{where} is refused: the operator gives the connection ({", ".join(given)}), '
            "and a configuration may not send it elsewhere. Remove conn_str from the backend block.")
    pinned = os.environ.get(PG_SCHEMA_ENV)
    if pinned and cfg.schema_name != pinned:
        raise BackendError(
            f'the "pg" backend\'s schema_name "{cfg.schema_name}"{where} is not the one the operator allows '
            f'({PG_SCHEMA_ENV}={pinned}): a configuration may not read or change another project\'s state. '
            f'Set schema_name = "{pinned}".')
