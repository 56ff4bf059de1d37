"""Fixtures for the state tests: a real PostgreSQL (tests/pgserver.py) and small state builders."""

from __future__ import annotations

from pgserver import pg_dsn, pg_schema  # noqa: F401  (fixtures re-exported for tests/state)

from reconciler.addresses import Kind
from state.model import ResourceState


def component(i: int | str, **attrs: object) -> ResourceState:
    return ResourceState(
        address=f"component.c{i}", kind=Kind.COMPONENT, provider="local", id=f"id-{i}", attributes=dict(attrs)
    )
