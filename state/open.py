"""Opening the backend a configuration's ``imgb { backend ... }`` block names, found by its entry
point (``imgb/plugins.py``); and imgb's own two, ``local`` and ``pg``, registered the same way."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgb.fsops import ALLOW_PATHS_ENV, allowed_outside
from imgb.plugins import Setting, backend_class
from imgb.state.backend import Backend, BackendError, BackendType


def open_backend(btype: str, settings: Mapping[str, Any], directory: Path) -> Backend:
    """The backend of a ``backend "btype"`` block (its settings as plain data, defaults applied)."""
    kind = backend_class(btype)
    if not isinstance(kind, BackendType):
        raise BackendError(f'unknown backend type "{btype}".')
    defaults = {name: s.default for name, s in kind.block.items() if s.default is not None}
    return kind.open({**defaults, **settings}, directory)


def _local(settings: Mapping[str, Any], directory: Path) -> Backend:
    from imgb.state.local import LocalBackend

    path = Path(str(settings["path"])).expanduser()
    full = path if path.is_absolute() else directory / path
    if not allowed_outside(full.parent, directory):
        raise BackendError(
            f'the local backend\'s path "{settings["path"]}" is outside the configuration directory {directory}. '
            "A configuration may not choose a state elsewhere (a pull request could read or destroy another "
            f"project's state). To allow it, the operator sets {ALLOW_PATHS_ENV}={full.parent} (colon-separated "
            f"directories) or passes -allow-path={full.parent}.")
    inside = allowed_outside(full.parent, directory, env={})
    return LocalBackend(full, confine=directory if inside else None)


def _pg(settings: Mapping[str, Any], directory: Path) -> Backend:
    from imgb.state.postgres import PostgresBackend

    conn_str, schema_name = settings.get("conn_str"), str(settings["schema_name"])
    _pg_operator_checks(conn_str, schema_name)
    return PostgresBackend(conn_str, schema_name)


PG_OPERATOR_ENV = ("IMGB_PG_CONN_STR", "PGHOST", "PGHOSTADDR", "PGSERVICE", "PGPASSWORD")
"""Where the operator gives the PostgreSQL connection (and its credentials)."""
PG_SCHEMA_ENV = "IMGB_PG_SCHEMA"


def _pg_operator_checks(conn_str: str | None, schema_name: str) -> None:
    """The connection and, when the operator pins it, the schema are the operator's: a pull
    request's ``conn_str`` must not send the operator's credentials to another server, nor its
    ``schema_name`` make plan read (and plan to destroy) another project's state in a shared
    database."""
    given = sorted(v for v in PG_OPERATOR_ENV if os.environ.get(v))
    if conn_str is not None and given:
        raise BackendError(
            f'the "pg" backend\'s conn_str is refused: the operator gives the connection ({", ".join(given)}), '
            "and a configuration may not send it elsewhere. Remove conn_str from the backend block.")
    pinned = os.environ.get(PG_SCHEMA_ENV)
    if pinned and schema_name != pinned:
        raise BackendError(
            f'the "pg" backend\'s schema_name "{schema_name}" is not the one the operator allows '
            f'({PG_SCHEMA_ENV}={pinned}): a configuration may not read or change another project\'s state. '
            f'Set schema_name = "{pinned}".')


LOCAL = BackendType(
    block={"path": Setting("string", default="imgb.state.json", doc="the state file, relative to the configuration directory")},
    opener="imgb.state.open:_local",
)
PG = BackendType(
    block={
        "conn_str": Setting("string", sensitive=True, doc="a libpq connection string; else IMGB_PG_CONN_STR"),
        "schema_name": Setting("string", default="imgb", doc="the PostgreSQL schema holding imgb's tables"),
    },
    opener="imgb.state.open:_pg",
)
