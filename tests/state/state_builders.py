"""Small state builders shared by the state tests."""

from __future__ import annotations

from imgb.addresses import Kind
from imgb.state.model import ResourceState


def component(i: int | str, **attrs: object) -> ResourceState:
    return ResourceState(
        address=f"component.c{i}", kind=Kind.COMPONENT, provider="local", id=f"id-{i}", attributes=dict(attrs)
    )
