"""Fixtures for the state tests: a real PostgreSQL (tests/pgserver.py)."""

from __future__ import annotations

from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures re-exported for tests/state)
