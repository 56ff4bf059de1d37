"""The backend contract suite (state.contract) against every backend: local files and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures)

from imgb.state.contract import CHECKS, BackendTarget

NAMES = sorted(CHECKS)


@pytest.fixture
def local_target(tmp_path: Path) -> Iterator[BackendTarget]:
    target = BackendTarget({"type": "local", "path": str(tmp_path / "imgb.state.json")})
    yield target
    target.close()


@pytest.fixture
def pg_target(pg_dsn: str, pg_schema: str) -> Iterator[BackendTarget]:  # noqa: F811
    target = BackendTarget({"type": "pg", "conn_str": pg_dsn, "schema_name": pg_schema})
    yield target
    target.close()


@pytest.mark.parametrize("name", NAMES)
def test_local_backend(name: str, local_target: BackendTarget) -> None:
    CHECKS[name](local_target)


@pytest.mark.pg
@pytest.mark.parametrize("name", NAMES)
def test_pg_backend(name: str, pg_target: BackendTarget) -> None:
    CHECKS[name](pg_target)
