"""Records (imgb/records.py): the state, saved plans and their cost figures as dataclasses whose
documents are decoded as pydantic decoded them.

The invariant: whatever document a record is given, the outcome is pydantic's own for the model
the record was before (its "mirror", made from the same fields): the same value, or the same
errors. The plain decoder takes a document only where pydantic takes it unchanged; everything
else is pydantic's to convert or refuse. Checked on documents imgb writes, and on those documents
damaged by hypothesis (values of every JSON type put anywhere, keys dropped and added)."""

from __future__ import annotations

import json
import sys
import typing
import uuid
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.addresses import Kind
from imgb.reconciler.guardrails.figures import ActionCost, PlanCost, SourceRef, TemplateCost
from imgb.reconciler.plan import Action, Change, Move, PinnedBase, Plan, Rehash, Secret
from imgb.records import _MISS, DecodeError, Record, _hints, _mirror, _spec
from imgb.state.model import BuildFailure, Operation, OutputState, ResourceState, ServicePeriod, State

RECORDS: list[type[Record]] = [ResourceState, Operation, ServicePeriod, BuildFailure, OutputState, State, Change, Rehash,
                               Move, Secret, PinnedBase, Plan, ActionCost, TemplateCost, PlanCost, SourceRef]


def a_state() -> State:
    image = ResourceState(address="image.web", kind=Kind.IMAGE, provider="local", id="m-1", attributes={"n": 1, "l": [1, "x"]},
                          dependencies=["template.web"], template="template.web", image_hash="aa", duration_s=2.5)
    return State(serial=3, lineage="l", resources=[image], current={"template.web": "aa"},
                 in_service={"template.web": [ServicePeriod(hash="aa", since="t0")]},
                 failures={"template.web": BuildFailure(address="template.web", provider="local", hash="bb", at="t", code="c",
                                                        message="m")},
                 operations=[Operation(address="copy.web[\"r\"]", kind=Kind.COPY, provider="local", token="k", handle={"h": 1},
                                       started_at="t")],
                 outputs={"o": OutputState(value={"a": [1, 2.5, None]}, sensitive=True)})


def a_plan() -> Plan:
    change = Change(address="image.web", kind=Kind.IMAGE, action=Action.CREATE, provider="local", reasons=["new"],
                    after={"x": 1}, eta_s=3, depends_on=["template.web"])
    cost = PlanCost(currency="USD", build=1, actions=[ActionCost(address="image.web", build_hours=0.5)],
                    templates=[TemplateCost(template="template.web", regions=["r"], retain=2)])
    return Plan(changes=[change], moves=[Move(from_address="a.b", to_address="a.c")], secrets=[Secret(verifier="v", hint=0)],
                pinned_bases=[PinnedBase(template="template.web", image_id="i")], rehashed=[Rehash(template="t", from_hash="a",
                to_hash="b")], cost=cost, sources={"image.web": SourceRef(filename="f", line=1, block="template.web")},
                current_after={"template.web": None}, variables={"v": [1, {"k": True}]})


def outcome(cls: type[Record], doc: Any) -> tuple[str, Any]:
    try:
        return "ok", json.dumps(cls.model_validate(doc).model_dump(mode="json"))  # as text: True == 1, 3 == 3.0
    except DecodeError as e:
        return "error", [(err["loc"], err["msg"], err["type"]) for err in e.errors()]


def pydantic_outcome(cls: type[Record], doc: Any) -> tuple[str, Any]:
    from pydantic import ValidationError

    try:
        return "ok", json.dumps(_mirror(cls).model_validate(doc).model_dump(mode="json"))
    except ValidationError as e:
        return "error", [(err["loc"], err["msg"], err["type"]) for err in e.errors()]


def test_what_imgb_writes_is_decoded_without_pydantic_as_pydantic_decodes_it() -> None:
    for record in (a_state(), a_plan(), a_plan().cost):
        assert record is not None
        doc = json.loads(json.dumps(record.model_dump(mode="json")))
        plain = _spec(type(record)).decode(doc)
        assert plain == record  # the plain path took it, and gave back what was written
        assert outcome(type(record), doc) == pydantic_outcome(type(record), doc) == ("ok", json.dumps(doc))


def test_every_record_mirrors_its_fields() -> None:
    for cls in RECORDS:
        assert list(_mirror(cls).model_fields) == [name for name, _, _ in _spec(cls).fields]
        assert _mirror(cls).__name__ == cls.__name__  # pydantic's message names the model: "1 validation error for Plan"


def test_field_types_are_typings_own() -> None:
    """``_hints`` evaluates annotations once per text; the types are get_type_hints' (and what it
    does not take as plain goes to get_type_hints itself)."""
    for cls in RECORDS:
        assert _hints(cls) == typing.get_type_hints(cls, vars(sys.modules[cls.__module__])), cls

    @dataclass(kw_only=True)
    class Odd(Record):
        forward: list[Change] = field(default_factory=list)
        quoted: list["Change"] = field(default_factory=list)  # noqa: UP037 - a string inside: typing resolves it
        annotated: typing.Annotated[int, "x"] = 0
        literal: typing.Literal["a", "b"] = "a"
        optional: typing.Optional[int] = None  # noqa: UP045
        nothing: None = None

    @dataclass(kw_only=True)
    class Shadowing(Record):
        Change: int = 0  # noqa: N815 - names the type another annotation uses
        changes: list[Change] = field(default_factory=list)  # type: ignore[valid-type]

    globals()["Odd"] = Odd  # annotations are evaluated in the module's namespace
    try:
        for cls in (Odd, Shadowing, Odd):
            assert _hints(cls) == typing.get_type_hints(cls, globals())
        assert _hints(Odd)["quoted"] == _hints(Odd)["forward"] == list[Change]
        assert _hints(Shadowing)["changes"] != list[Change]  # the class's own name, as typing has it
    finally:
        del globals()["Odd"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False) | st.text(max_size=4)
    | st.sampled_from(["7", "1.5", "image", "create", "true", "", "aa"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


def damaged(doc: Any, data: st.DataObject) -> Any:
    """``doc`` with one place in it replaced, dropped or added to."""
    deeper = data.draw(st.integers(0, 9)) < 8  # mostly a value inside, where the fields are
    if isinstance(doc, dict) and doc and deeper:
        key = data.draw(st.sampled_from(sorted(doc)))
        return {**doc, key: damaged(doc[key], data)}
    if isinstance(doc, list) and doc and deeper:
        i = data.draw(st.integers(0, len(doc) - 1))
        return [*doc[:i], damaged(doc[i], data), *doc[i + 1:]]
    how = data.draw(st.sampled_from(["replace", "drop", "add"] if isinstance(doc, dict) else ["replace"]))
    if how == "drop" and doc:
        key = data.draw(st.sampled_from(sorted(doc)))
        return {k: v for k, v in doc.items() if k != key}
    if how == "add":
        return {**doc, data.draw(st.text(max_size=8) | st.sampled_from(["serial", "kind", "surprise"])): data.draw(JSON)}
    return data.draw(JSON)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), which=st.sampled_from(["state", "plan", "cost", "resource", "change"]))
def test_any_document_has_pydantic_s_outcome(data: st.DataObject, which: str) -> None:
    records: dict[str, Record] = {"state": a_state(), "plan": a_plan(), "cost": a_plan().cost,  # type: ignore[dict-item]
                                  "resource": a_state().resources[0], "change": a_plan().changes[0]}
    record = records[which]
    doc = damaged(json.loads(json.dumps(record.model_dump(mode="json"))), data)
    cls = type(record)
    with mock.patch("imgb.state.model.uuid4", return_value=str(uuid.UUID(int=7))):  # a state's lineage when the document has none
        assert outcome(cls, doc) == pydantic_outcome(cls, doc)
        plain = _spec(cls).decode(doc)
        if plain is not _MISS:  # the plain path took it: pydantic takes it too, to the same value
            assert pydantic_outcome(cls, doc) == ("ok", json.dumps(plain.model_dump(mode="json")))


@pytest.mark.parametrize("text", [b"", b"{", b"\xff", b"[1]", b'{"serial": "7"}', b'{"version": 2, "resources": [null]}'])
def test_text_that_is_not_a_state_has_pydantic_s_errors(text: bytes) -> None:
    from pydantic import ValidationError

    try:
        _mirror(State).model_validate_json(text)
        expected: Any = "ok"
    except ValidationError as e:
        expected = [(err["loc"], err["msg"]) for err in e.errors()]
    try:
        State.model_validate_json(text)
        got: Any = "ok"
    except DecodeError as e:
        got = [(err["loc"], err["msg"]) for err in e.errors()]
    assert got == expected


def test_construction_as_pydantic_made_it() -> None:
    attributes = {"a": [1]}
    r = ResourceState(address="image.web", kind=Kind.IMAGE, provider="local", id="m", attributes=attributes, duration_s=3)
    assert r.attributes == attributes and r.attributes is not attributes  # its own dict, values shared
    assert r.attributes["a"] is attributes["a"]
    assert type(r.duration_s) is float and r.model_dump(mode="json")["duration_s"] == 3.0
    assert r.model_dump(mode="json") == _mirror(ResourceState)(**r.model_dump()).model_dump(mode="json")
    with pytest.raises(TypeError):
        ResourceState("image.web")  # type: ignore[call-arg]  # keyword arguments only


def test_copies_as_pydantic_made_them() -> None:
    state = a_state()
    shallow = state.model_copy(update={"serial": 9})
    assert shallow.serial == 9 and state.serial == 3 and shallow.resources is state.resources
    deep = state.model_copy(deep=True)
    assert deep == state and deep.resources[0] is not state.resources[0]
    assert state.model_dump_json() == _mirror(State).model_validate(state.model_dump()).model_dump_json()


def test_values_pydantic_renders_its_own_way() -> None:
    """Values the records' own documents never hold go through pydantic's rendering."""
    odd = OutputState(value={"t": (1, 2), "s": {3}, "inf": float("inf")})
    assert odd.model_dump(mode="json") == _mirror(OutputState)(value=odd.value).model_dump(mode="json")
    assert odd.model_dump() == _mirror(OutputState)(value=odd.value).model_dump()


ODD_VALUES = ["7", 7, 7.0, 7.5, -0.0, 2**60, True, False, None, [], {}, [1], {"a": 1}, "image", "create", "", "1e3"]


def test_every_field_given_every_kind_of_value_has_pydantic_s_outcome() -> None:
    samples = [a_state(), a_plan(), a_plan().cost, *a_state().resources, *a_state().operations, a_state().failures["template.web"],
               a_state().in_service["template.web"][0], a_state().outputs["o"], *a_plan().changes, *a_plan().moves,
               *a_plan().secrets, *a_plan().pinned_bases, *a_plan().rehashed, a_plan().sources["image.web"],
               *a_plan().cost.actions, *a_plan().cost.templates]  # type: ignore[union-attr]
    assert {type(r) for r in samples if r is not None} == set(RECORDS)
    tried = 0
    with mock.patch("imgb.state.model.uuid4", return_value=str(uuid.UUID(int=7))):
        for record in samples:
            assert record is not None
            doc = json.loads(json.dumps(record.model_dump(mode="json")))
            for name in doc:
                for value in ODD_VALUES:
                    changed = {**doc, name: value}
                    assert outcome(type(record), changed) == pydantic_outcome(type(record), changed), (type(record), name, value)
                    tried += 1
    assert tried > 1500
