"""The local backend reads a snapshot's serial without decoding the whole file: same answer as json."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from imgb.state.local import _snapshot_serial
from imgb.state.manager import encode_state
from imgb.state.model import ResourceState, State

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["serial", "x", "a b"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**12), st.lists(json_values, max_size=3))
def test_quick_serial_matches_json(serial: int, attrs: list[object]) -> None:
    resources = [
        ResourceState(address=f"component.c{i}", kind="component", provider="local", id=f"x{i}", attributes={"v": a})
        for i, a in enumerate(attrs)
    ]
    data = encode_state(State(serial=serial, resources=resources))
    assert _snapshot_serial(data) == json.loads(data)["serial"] == serial


def test_other_layouts_are_left_to_json() -> None:
    assert _snapshot_serial(b'{"serial": 3, "version": 1}') is None
    assert _snapshot_serial(b'{\n  "serial": 3,\n  "serial": 4,\n  "version": 1\n}\n') is None
    assert _snapshot_serial(b'{\n  "serial": 03,\n  "version": 1\n}\n') is None
