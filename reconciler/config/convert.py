"""Type conversion and unification as cty's ``convert`` package does them.

``convert(value, type)`` turns a value into one of the wanted type or raises ``ConversionError``
(a number or bool becomes a string, a numeral string a number, a tuple a list when its elements
unify, an object a map, and so on). ``unify(types)`` finds the one type that all the given types
convert to: conditionals, ``tolist``, ``toset``, ``tomap`` and variable types use it.
"""

from __future__ import annotations

from typing import Any

from imgb.reconciler.config import numbers
from imgb.reconciler.config.marks import Marked
from imgb.reconciler.config.numbers import is_number
from imgb.reconciler.config.text import go_quote
from imgb.reconciler.config.types import (
    DYNAMIC,
    STRING,
    Type,
    collection_of,
    list_of,
    map_of,
    object_of,
    tuple_of,
)
from imgb.reconciler.config.values import (
    INVALID,
    ConversionError,
    ListV,
    MapV,
    Null,
    SetV,
    _equal_same_type,
    null_of,
    to_string,
    type_of,
)
from imgb.unknown import Unknown

# -- type level ----------------------------------------------------------------------------------


def can_convert(have: Type, want: Type, unsafe: bool = True) -> bool:
    """Whether values of ``have`` may convert to ``want`` (some only at run time: a list to a tuple
    of its length, a numeral string to a number)."""
    if want.kind == "any" or have == want or have.kind == "any":
        return True
    k = want.kind
    if k == "string":
        return have.kind in ("number", "bool")
    if k in ("number", "bool"):
        return unsafe and have.kind == "string"
    if k in ("list", "set"):
        assert want.elem is not None
        if have.kind in ("list", "set"):
            assert have.elem is not None
            return can_convert(have.elem, want.elem, unsafe)
        if have.kind == "tuple":
            if want.elem.kind == "any":
                return not have.items or unify(list(have.items), unsafe) is not None
            return all(can_convert(t, want.elem, unsafe) for t in have.items)
        return False
    if k == "map":
        assert want.elem is not None
        if have.kind == "map":
            assert have.elem is not None
            return can_convert(have.elem, want.elem, unsafe)
        if have.kind == "object":
            types = [t for _, t, _ in have.attrs]
            if want.elem.kind == "any":
                return not types or unify(types, unsafe) is not None
            return all(can_convert(t, want.elem, unsafe) for t in types)
        return False
    if k == "tuple":
        if have.kind == "tuple":
            return len(have.items) == len(want.items) and all(
                can_convert(a, b, unsafe) for a, b in zip(have.items, want.items, strict=True)
            )
        if have.kind in ("list", "set") and unsafe:
            assert have.elem is not None
            return all(can_convert(have.elem, t, unsafe) for t in want.items)
        return False
    if k == "object":
        if have.kind == "object":
            have_attrs = have.attr_types()
            for name, t, optional in want.attrs:
                if name not in have_attrs:
                    if not optional:
                        return False
                elif not can_convert(have_attrs[name], t, unsafe):
                    return False
            return True
        if have.kind == "map" and unsafe:
            assert have.elem is not None
            return all(can_convert(have.elem, t, unsafe) for _, t, _ in want.attrs)
        return False
    return False


def unify(types: list[Type], unsafe: bool = True) -> Type | None:
    """The type every one of ``types`` converts to, or None. Structural kinds first (lists with
    lists and tuples, maps with maps and objects...), then the most general of the given types
    (a string over a number or a bool), as cty's convert.Unify."""
    if not types:
        return None
    first = types[0]
    if all(t == first for t in types):
        return first
    kinds = [t.kind for t in types]
    dyn = kinds.count("any")
    n = len(types)

    def count(*ks: str) -> int:
        return sum(kinds.count(k) for k in ks)

    concrete = [t for t in types if t.kind != "any"]
    if count("map") and count("map") + dyn == n:
        return _unify_collection("map", concrete, unsafe)
    if count("map") and count("map", "object") + dyn == n:
        elems = [t.elem for t in concrete if t.kind == "map"] + [a for t in concrete if t.kind == "object" for _, a, _ in t.attrs]
        e = unify([x for x in elems if x is not None], unsafe) if elems else DYNAMIC
        if e is not None:
            return map_of(e)
    if count("list") and count("list") + dyn == n:
        return _unify_collection("list", concrete, unsafe)
    if count("list") and count("list", "tuple") + dyn == n:
        elems = [t.elem for t in concrete if t.kind == "list"] + [i for t in concrete if t.kind == "tuple" for i in t.items]
        e = unify([x for x in elems if x is not None], unsafe)
        if e is not None:
            return list_of(e)
    if count("set") and count("set") + dyn == n:
        return _unify_collection("set", concrete, unsafe)
    if count("object") and count("object") + dyn == n:
        return _unify_objects(concrete, unsafe)
    if count("tuple") and count("tuple") + dyn == n:
        return _unify_tuples(concrete, unsafe)
    if count("object") and count("tuple"):
        return None
    for want in _preference(types):
        if all(can_convert(t, want, unsafe) for t in types):
            return want
    return None


def _unify_collection(kind: str, types: list[Type], unsafe: bool) -> Type | None:
    elems = [t.elem for t in types if t.elem is not None]
    e = unify(elems, unsafe)
    return None if e is None else collection_of(kind, e)


def _unify_objects(types: list[Type], unsafe: bool) -> Type | None:
    names = [tuple(n for n, _, _ in t.attrs) for t in types]
    if all(x == names[0] for x in names):
        attrs: dict[str, Type] = {}
        for name in names[0]:
            u = unify([t.attr_types()[name] for t in types], unsafe)
            if u is None:
                return None
            attrs[name] = u
        return object_of(attrs)
    # different attributes: the objects may still be maps in disguise
    elems = [a for t in types for _, a, _ in t.attrs]
    e = unify(elems, unsafe) if elems else DYNAMIC
    return None if e is None else map_of(e)


def _unify_tuples(types: list[Type], unsafe: bool) -> Type | None:
    lengths = {len(t.items) for t in types}
    if len(lengths) == 1:
        items: list[Type] = []
        for i in range(lengths.pop()):
            u = unify([t.items[i] for t in types], unsafe)
            if u is None:
                return None
            items.append(u)
        return tuple_of(tuple(items))
    elems = [i for t in types for i in t.items]
    e = unify(elems, unsafe) if elems else DYNAMIC
    return None if e is None else list_of(e)


def _generality(t: Type) -> int:
    # lower is preferred: a string can hold a number or a bool; dynamic is the last resort
    return {"string": 0, "any": 9}.get(t.kind, 1)


def _preference(types: list[Type]) -> list[Type]:
    seen: list[Type] = []
    for t in sorted(types, key=_generality):
        if t not in seen:
            seen.append(t)
    return seen


# -- value level ---------------------------------------------------------------------------------


def _fail(path: str, message: str) -> ConversionError:
    return ConversionError(f"{path}: {message}" if path else message)


def convert(value: Any, want: Type, path: str = "", unsafe: bool = True) -> Any:
    """``value`` as a value of type ``want``; raises ``ConversionError`` saying where it failed."""
    k = want.kind
    if k == "any" or value is INVALID or isinstance(value, Unknown):
        return value
    if isinstance(value, Marked):
        return Marked(convert(value.value, want, path, unsafe))
    if value is None:
        return null_of(want)
    if isinstance(value, Null):
        if value.ty == want or can_convert(value.ty, want, unsafe):
            return null_of(want)
        raise _fail(path, f"{_article(want)} is required, got null {value.ty.friendly()}")
    if k == "string":
        if isinstance(value, str | bool) or is_number(value):
            return to_string(value)
        raise _fail(path, f"string required, but have {type_of(value).friendly()}")
    if k == "number":
        if is_number(value):
            return value
        if isinstance(value, str) and unsafe:
            n = numbers.parse(value)
            if n is not None:
                return n
            raise _fail(path, f'a number is required, got string "{value}"')
        raise _fail(path, f"number required, but have {type_of(value).friendly()}")
    if k == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and unsafe:
            if value in ("true", "1"):
                return True
            if value in ("false", "0"):
                return False
            if value.lower() in ("true", "false"):
                raise _fail(path, f'a bool is required; to convert from string, use lowercase "{value.lower()}"')
            raise _fail(path, f'a bool is required, got string "{value}"')
        raise _fail(path, f"bool required, but have {type_of(value).friendly()}")
    if k in ("list", "set"):
        assert want.elem is not None
        if not isinstance(value, list) or isinstance(value, dict):
            raise _fail(path, f"{want.friendly()} required, but have {type_of(value).friendly()}")
        items = _convert_elements(list(value), want.elem, path, unsafe, k)
        return ListV(items[0], items[1]) if k == "list" else make_set(items[0], items[1])
    if k == "map":
        assert want.elem is not None
        if not isinstance(value, dict):
            raise _fail(path, f"{want.friendly()} required, but have {type_of(value).friendly()}")
        keys = sorted(value)
        vals, ety = _convert_elements([value[key] for key in keys], want.elem, path, unsafe, "map", keys)
        return MapV(zip(keys, vals, strict=True), ety)
    if k == "tuple":
        if not isinstance(value, list) or (isinstance(value, ListV | SetV) and not unsafe):
            raise _fail(path, f"tuple required, but have {type_of(value).friendly()}")
        if len(value) != len(want.items):
            raise _fail(path, f"tuple required with {len(want.items)} elements, but have {len(value)}")
        return [convert(v, t, f"{path}[{i}]", unsafe) for i, (v, t) in enumerate(zip(value, want.items, strict=True))]
    if k == "object":
        if not isinstance(value, dict):
            raise _fail(path, f"object required, but have {type_of(value).friendly()}")
        out: dict[str, Any] = {}
        for name, t, optional in want.attrs:
            sub = f"{path}.{name}" if path else f"attribute \"{name}\""
            if name in value:
                v = value[name]
                if optional and (v is None or isinstance(v, Null)) and name in want.defaults:
                    v = want.defaults[name]
                out[name] = convert(v, t, sub, unsafe)
            elif optional:
                out[name] = convert(want.defaults[name], t, sub, unsafe) if name in want.defaults else null_of(t)
            else:
                raise _fail(path, f'attribute "{name}" is required')
        return out
    raise _fail(path, f"cannot convert to {want}")  # pragma: no cover


def _article(t: Type) -> str:
    name = t.friendly()
    return ("an " if name[0] in "aeiou" else "a ") + name


def _convert_elements(
    items: list[Any], ety: Type, path: str, unsafe: bool, kind: str, keys: list[str] | None = None
) -> tuple[list[Any], Type]:
    """Elements converted to ``ety``; when ``ety`` has ``any`` in it, to the one type they unify to."""
    def where(i: int) -> str:
        return f"{path}[{go_quote(keys[i]) if keys is not None else i}]"

    if ety.has_dynamic():
        if ety.kind == "any":
            types = [type_of(v) for v in items]
            u = unify(types, unsafe) if types else DYNAMIC
            if u is None:
                raise _fail(path, f"{kind} of any single type required, but have {_mixed(types)}")
            return [convert(v, u, where(i), unsafe) for i, v in enumerate(items)], u
        converted = [convert(v, ety, where(i), unsafe) for i, v in enumerate(items)]
        types = [type_of(v) for v in converted]
        u = unify(types, unsafe) if types else ety
        if u is None:
            raise _fail(path, f"{kind} of any single type required")
        return [convert(v, u, where(i), unsafe) for i, v in enumerate(converted)], u
    return [convert(v, ety, where(i), unsafe) for i, v in enumerate(items)], ety


def _mixed(types: list[Type]) -> str:
    return "elements of " + ", ".join(sorted({t.friendly() for t in types}))


# -- sets ----------------------------------------------------------------------------------------


def make_set(items: list[Any], ety: Type) -> SetV:
    """A set of ``items`` (already of type ``ety``): duplicates dropped, in cty's order (strings
    and numbers ascending, false before true, other values by their hash text; nulls, then
    unknowns, last)."""
    distinct: list[Any] = []
    for v in items:
        if isinstance(v, Unknown) or not any(_equal_same_type(v, o) is True for o in distinct):
            distinct.append(v)
    known = [v for v in distinct if not isinstance(v, Unknown | Null) and v is not None]
    nulls = [v for v in distinct if isinstance(v, Null) or v is None]
    unknown = [v for v in distinct if isinstance(v, Unknown)]
    if ety.kind == "string":
        known.sort()
    elif ety.kind == "number":
        known.sort(key=_NumKey)
    elif ety.kind == "bool":
        known.sort()
    else:
        known.sort(key=set_hash)  # cty orders other sets by their hash text
    return SetV(known + nulls[:1] + unknown, ety)


class _NumKey:
    __slots__ = ("v",)

    def __init__(self, v: Any):
        self.v = v

    def __lt__(self, other: _NumKey) -> bool:
        return numbers.compare(self.v, other.v) < 0


def set_hash(v: Any) -> str:
    """cty's set hash text of a value: sets of collections iterate in the order of these texts."""
    if isinstance(v, Unknown):
        return "?"
    if v is None or isinstance(v, Null):
        return "~"
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, str):
        return go_quote(v)
    if is_number(v):
        return numbers.format_g(v, 10)
    if isinstance(v, MapV):
        return "{" + "".join(f"{go_quote(k)}:{set_hash(v[k])};" for k in sorted(v)) + "}"
    if isinstance(v, ListV | SetV):
        return "[" + "".join(set_hash(x) + ";" for x in v) + "]"
    if isinstance(v, dict):
        return "<" + "".join(set_hash(v[k]) + ";" for k in sorted(v)) + ">"
    if isinstance(v, list):
        return "<" + "".join(set_hash(x) + ";" for x in v) + ">"
    return repr(v)  # pragma: no cover


__all__ = ["STRING", "can_convert", "convert", "make_set", "set_hash", "unify"]
