"""Records: the plain data imgb keeps in files (the state, saved plans, their cost figures) as
dataclasses, decoded from JSON documents with exactly the checks pydantic made on them.

pydantic costs a small command more than its whole work (its import, the schema it builds per
model, and its plugin loader's ``importlib.metadata``), so the models are dataclasses deriving
``Record``, which gives them the part of pydantic's model API imgb uses: ``model_validate``,
``model_validate_json``, ``model_dump`` (python or json mode), ``model_dump_json`` and
``model_copy``. Constructing one behaves as a pydantic model did for the values imgb passes:
keyword arguments only, list and dict fields copied (one level), an int given to a float field
stored as a float.

Decoding has two paths with one outcome. A document made of exactly the types each field
declares (what imgb writes) is decoded here, in plain Python. Anything else (a missing or unknown
key, a value of another type, one that pydantic converts, such as "7" for an int) goes to pydantic
itself, through a model made from the record's own fields (``_mirror``): pydantic then converts
it as it always did, or raises its ``ValidationError`` with the messages it always gave. The
plain path takes a document only where pydantic would take it unchanged (tests/test_records.py
checks the two against each other), so pydantic loads only for documents imgb did not write.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import math
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Self


class DecodeError(ValueError):
    """A document that is not a record: pydantic's ValidationError, its message and ``errors()``."""

    def __init__(self, error: Any) -> None:
        super().__init__(str(error))
        self._errors: list[dict[str, Any]] = error.errors()

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


_MISS: Any = object()
"""A decoder's answer for a value only pydantic can judge."""


class Record:
    """Base of the record dataclasses (``@dataclasses.dataclass(kw_only=True)``)."""

    def __post_init__(self) -> None:
        for name, kind in _spec(type(self)).on_init:
            value = self.__dict__[name]
            if kind is float:
                if type(value) is int:
                    self.__dict__[name] = float(value)
            elif type(value) is kind:
                self.__dict__[name] = kind(value)  # a list or dict of its own, as pydantic made

    @classmethod
    def model_validate(cls, doc: Any) -> Self:
        if type(doc) is cls:
            return doc  # as pydantic: an instance is taken as it is
        value = _spec(cls).decode(doc)
        if value is _MISS:
            return cls._by_pydantic(lambda mirror: mirror.model_validate(doc))
        return typing.cast(Self, value)

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):
            doc = _MISS
        value = _MISS if doc is _MISS else _spec(cls).decode(doc)
        if value is _MISS:
            return cls._by_pydantic(lambda mirror: mirror.model_validate_json(data))
        return typing.cast(Self, value)

    @classmethod
    def _by_pydantic(cls, validate: Callable[[Any], Any]) -> Self:
        """What pydantic makes of a document the plain decoder does not take: its ValidationError
        (as DecodeError), or the value it converted it to, as this record."""
        from pydantic import ValidationError

        try:
            converted = validate(_mirror(cls)).model_dump()
        except ValidationError as e:
            raise DecodeError(e) from e
        value = _spec(cls).decode(converted)
        if value is _MISS:  # pydantic took what it cannot have: a bug here, not in the document
            raise AssertionError(f"{cls.__name__}: pydantic's conversion is not a valid record")
        return typing.cast(Self, value)

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]:
        as_json = mode == "json"
        values = self.__dict__
        return {
            name: value if type(value) in _SCALARS else _dump(value, as_json)
            for name in _spec(type(self)).order
            for value in (values[name],)
        }

    def model_dump_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (sharing its values unless ``deep``) with ``update``'s values set as they are."""
        copied = copy.deepcopy(self) if deep else copy.copy(self)
        if update:
            copied.__dict__.update(update)
        return copied


# -- dumping -----------------------------------------------------------------------------------------
_SCALARS = frozenset({str, int, bool, type(None)})
"""Values dumped as they are (checked inline: dumping a large state is mostly these)."""


def _dump(value: Any, as_json: bool) -> Any:
    kind = type(value)
    if kind in _SCALARS or kind is float and (not as_json or math.isfinite(value)):
        return value
    if isinstance(value, Record):
        return value.model_dump(mode="json" if as_json else "python")
    if kind is list:
        return [v if type(v) in _SCALARS else _dump(v, as_json) for v in value]
    if kind is dict and all(type(k) is str for k in value):
        return {k: v if type(v) in _SCALARS else _dump(v, as_json) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value if as_json else value
    return _pydantic_dump(value, as_json)


def _pydantic_dump(value: Any, as_json: bool) -> Any:
    """A value of a kind the records' own documents do not hold (a tuple, a set, an infinite
    float): pydantic's rendering of it, as before."""
    from pydantic import TypeAdapter

    return TypeAdapter(Any).dump_python(value, mode="json" if as_json else "python")


# -- decoding ----------------------------------------------------------------------------------------
Decoder = Callable[[Any], Any]


class _Spec:
    """A record class's fields, read once: how to decode each and what construction copies."""

    def __init__(self, cls: type[Record]) -> None:
        hints = _hints(cls)
        self.cls = cls
        self.fields: list[tuple[str, Decoder, Any]] = []
        """(name, decoder, its default: a value, a factory in a 1-tuple, or _MISS when required)."""
        self.on_init: list[tuple[str, type]] = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            hint = hints[f.name]
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = (f.default_factory,)
            else:
                default = _MISS
            self.fields.append((f.name, _decoder(hint), default))
            base = typing.get_origin(hint) or hint
            if base in (list, dict):
                self.on_init.append((f.name, base))
            elif float in _members(hint):
                self.on_init.append((f.name, float))
        self.order = [name for name, _, _ in self.fields]
        self.names = frozenset(self.order)

    def decode(self, doc: Any) -> Any:
        if type(doc) is not dict or not self.names.issuperset(doc):
            return _MISS
        values = {}
        for name, decode, default in self.fields:
            if name in doc:
                value = decode(doc[name])
                if value is _MISS:
                    return _MISS
            elif default is _MISS:
                return _MISS
            elif type(default) is tuple:
                value = default[0]()
            else:
                value = default
            values[name] = value
        record = object.__new__(self.cls)
        record.__dict__.update(values)  # the decoders made every list and dict anew
        return record


_SPECS: dict[type, _Spec] = {}


def _spec(cls: type[Record]) -> _Spec:
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = _Spec(cls)
    return spec


_HINTS: dict[tuple[str, str], Any] = {}
"""(module, an annotation's text) -> its type: records repeat a few dozen annotations (``str | None``...)."""


def _hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls, <cls's module globals>)``, evaluating each annotation's text as
    it does (module globals, the declaring class's namespace as locals), each text of a module
    once, and with ``eval`` of the text, never ``compile``: the first ``compile()`` of a process
    makes Python's AST types (~1 ms), and typing compiles every annotation of every class anew
    (a millisecond or two more of a small plan's start). Anything but the plain annotations
    records use (a string or a ``ForwardRef`` left inside one, ``Annotated``) goes to
    ``typing.get_type_hints`` itself."""
    globalns = vars(sys.modules[cls.__module__])
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        annotations = base.__dict__.get("__annotations__", {})
        if not annotations:
            continue
        localns = dict(vars(base))
        for name, text in annotations.items():
            if type(text) is not str:
                return typing.get_type_hints(cls, globalns)
            # A name of the class's own namespace would mean something else in another class.
            shared = localns.keys().isdisjoint(text.replace("[", " ").replace("]", " ").replace(",", " ")
                                               .replace("|", " ").replace(".", " ").split())
            value = _HINTS.get((cls.__module__, text), _MISS) if shared else _MISS
            if value is _MISS:
                value = eval(text, globalns, localns)  # noqa: S307 - the class's own annotation, as typing evaluates it
                if value is None:
                    value = type(None)
                elif not _plain(value):
                    return typing.get_type_hints(cls, globalns)
                if shared:
                    _HINTS[cls.__module__, text] = value
            hints[name] = value
    return hints


def _plain(hint: Any) -> bool:
    """A type, or a generic alias or union of plain ones: what ``get_type_hints`` returns as it is."""
    if isinstance(hint, type) or hint is Any:  # (a generic alias such as list[str] is not a type)
        return True
    if isinstance(hint, types.GenericAlias | types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_origin(hint) is not typing.Annotated and all(_plain(a) for a in typing.get_args(hint))
    return False


def _members(hint: Any) -> tuple[Any, ...]:
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)


def _decoder(hint: Any) -> Decoder:
    """The plain decoder of a field's type: the value as pydantic would make it, or _MISS."""
    if hint is Any:
        return lambda v: v
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [_decoder(a) for a in typing.get_args(hint) if a is not type(None)]
        optional = type(None) in typing.get_args(hint)
        if len(options) != 1:
            return lambda v: _MISS  # (no record declares such a union)
        only = options[0]
        return (lambda v: None if v is None else only(v)) if optional else only
    if origin is list:
        (item,) = typing.get_args(hint)
        each = _decoder(item)

        def decode_list(v: Any) -> Any:
            if type(v) is not list:
                return _MISS
            out = [each(x) for x in v]
            return _MISS if any(x is _MISS for x in out) else out

        return decode_list
    if origin is dict:
        key, item = typing.get_args(hint)
        if key is not str:
            return lambda v: _MISS
        each = _decoder(item)

        def decode_dict(v: Any) -> Any:
            if type(v) is not dict:
                return _MISS
            out = {}
            for k, x in v.items():
                y = each(x)
                if type(k) is not str or y is _MISS:
                    return _MISS
                out[k] = y
            return out

        return decode_dict
    if isinstance(hint, type) and issubclass(hint, Record):
        return lambda v: _spec(hint).decode(v)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        members = {m.value: m for m in hint}
        return lambda v: v if type(v) is hint else members.get(v, _MISS) if type(v) is str else _MISS
    if hint is str or hint is bool:
        return lambda v: v if type(v) is hint else _MISS
    if hint is int:
        return lambda v: v if type(v) is int else _MISS
    if hint is float:
        # an int becomes a float, as pydantic converts it (a huge one is pydantic's to judge)
        return lambda v: v if type(v) is float else float(v) if type(v) is int and abs(v) <= 2**53 else _MISS
    return lambda v: _MISS


# -- pydantic, for documents imgb did not write --------------------------------------------------------
_MIRRORS: dict[type, Any] = {}


def _mirror(cls: type[Record]) -> Any:
    """A pydantic model with ``cls``'s name and fields (records inside it mirrored too), as the
    record was declared before it was a dataclass."""
    mirror = _MIRRORS.get(cls)
    if mirror is not None:
        return mirror
    from pydantic import ConfigDict, Field, create_model

    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        fields[f.name] = (_mirror_type(hints[f.name]), default)
    mirror = _MIRRORS[cls] = create_model(cls.__name__, __config__=ConfigDict(extra="forbid"), **fields)
    return mirror


def _mirror_type(hint: Any) -> Any:
    if isinstance(hint, type) and issubclass(hint, Record):
        return _mirror(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_mirror_type(a) for a in args)]  # noqa: UP007
    if origin in (list, dict):
        return origin[tuple(_mirror_type(a) for a in args)]
    return hint
