"""Fixtures for the GitOps tests: a real PostgreSQL (tests/pgserver.py)."""

from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures re-exported for tests/gitops)
