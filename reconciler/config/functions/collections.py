"""Collection functions: lists, sets, tuples, maps and objects, as cty's stdlib and Terraform have them."""

from __future__ import annotations

from typing import Any

from imgb.reconciler.config import numbers
from imgb.reconciler.config.convert import convert, make_set, unify
from imgb.reconciler.config.functions import Call, FuncError, Param, function, whole
from imgb.reconciler.config.numbers import is_number
from imgb.reconciler.config.text import grapheme_count
from imgb.reconciler.config.types import (
    BOOL,
    DYNAMIC,
    NUMBER,
    STRING,
    Type,
    list_of,
    map_of,
    set_of,
    tuple_of,
)
from imgb.reconciler.config.values import (
    ConversionError,
    ListV,
    MapV,
    Null,
    SetV,
    describe,
    equal,
    is_null,
    null_of,
    type_of,
)
from imgb.unknown import Unknown

ANY_LIST = list_of(DYNAMIC)
ANY_SET = set_of(DYNAMIC)


def _int(v: Any, i: int, what: str = "value") -> int:
    return whole(v, i)


def _seq(v: Any, i: int, what: str = "list, set, or tuple") -> list[Any]:
    if not isinstance(v, list):
        raise FuncError(f"argument must be {what}, not {type_of(v).friendly()}", i)
    return v


@function("length", Param("value"), nested_unknown=True, marks="shallow")
def f_length(c: Call, a: list[Any]) -> Any:
    v = a[0]
    if isinstance(v, str):
        return grapheme_count(v)
    if isinstance(v, list | dict):
        return len(v)
    raise FuncError(f"argument must be a string, a collection type, or a structural type, not {describe(v)}", 0)


@function("alltrue", Param("list", list_of(BOOL)))
def f_alltrue(c: Call, a: list[Any]) -> Any:
    for v in a[0]:
        if is_null(v) or not v:
            return False
    return True


@function("anytrue", Param("list", list_of(BOOL)))
def f_anytrue(c: Call, a: list[Any]) -> Any:
    return any(v for v in a[0] if not is_null(v))


@function("chunklist", Param("list", ANY_LIST), Param("size", NUMBER), nested_unknown=True)
def f_chunklist(c: Call, a: list[Any]) -> Any:
    lst, size = a[0], _int(a[1], 1, "size")
    if size < 0:
        raise FuncError("the size argument must be positive", 1)
    lt = list_of(lst.ety)
    if not lst:
        return ListV([], lt)
    if size == 0:
        return ListV([ListV(lst, lst.ety)], lt)
    return ListV([ListV(lst[i : i + size], lst.ety) for i in range(0, len(lst), size)], lt)


@function("coalesce", variadic=Param("vals", allow_null=True), nested_unknown=True)
def f_coalesce(c: Call, a: list[Any]) -> Any:
    types = [type_of(v) for v in a]
    rt = unify(types) if types else None
    if rt is None:
        raise FuncError("all arguments must have the same type")
    for v in a:
        v = convert(v, rt)
        if isinstance(v, Unknown):
            return v
        if is_null(v):
            continue
        if rt.kind == "string" and v == "":
            continue
        return v
    raise FuncError("no non-null, non-empty-string arguments")


@function("coalescelist", variadic=Param("vals", allow_null=True), nested_unknown=True)
def f_coalescelist(c: Call, a: list[Any]) -> Any:
    if not a:
        raise FuncError("at least one argument is required")
    for v in a:
        if is_null(v) or not isinstance(v, list) or isinstance(v, SetV):
            raise FuncError("coalescelist arguments must be lists or tuples")
    for v in a:
        if v:
            return v
    raise FuncError("no non-null arguments")


@function("compact", Param("list", list_of(STRING)))
def f_compact(c: Call, a: list[Any]) -> Any:
    return ListV([v for v in a[0] if not is_null(v) and v != ""], STRING)


@function("concat", variadic=Param("seqs"), nested_unknown=True)
def f_concat(c: Call, a: list[Any]) -> Any:
    if not a:
        raise FuncError("at least one argument is required")
    for i, v in enumerate(a):
        if not isinstance(v, list) or isinstance(v, SetV):
            raise FuncError(f"all arguments must be lists or tuples; got {type_of(v).friendly()}", i)
    if all(isinstance(v, ListV) for v in a):
        ety = unify([v.ety for v in a])
        if ety is not None:
            return ListV([convert(x, ety) for v in a for x in v], ety)
    return [x for v in a for x in v]


@function("contains", Param("list"), Param("value"), nested_unknown=True)
def f_contains(c: Call, a: list[Any]) -> Any:
    lst, value = a
    if not isinstance(lst, list):
        raise FuncError("argument must be list, tuple, or set")
    if not lst:
        return False
    unknown = None
    for v in lst:
        r = equal(value, v)
        if isinstance(r, Unknown):
            unknown = r
            continue
        if r is True:
            return True
    return unknown if unknown is not None else False


@function("distinct", Param("list", ANY_LIST))
def f_distinct(c: Call, a: list[Any]) -> Any:
    out: list[Any] = []
    for v in a[0]:
        if not any(equal(v, o) is True for o in out):
            out.append(v)
    return ListV(out, a[0].ety)


@function("element", Param("list"), Param("index", NUMBER), nested_unknown=True)
def f_element(c: Call, a: list[Any]) -> Any:
    lst = a[0]
    if isinstance(lst, SetV) or not isinstance(lst, list):
        raise FuncError(f"cannot read elements from {type_of(lst).friendly()}", 0)
    i = _int(a[1], 1, "index")
    if not lst:
        raise FuncError("cannot use element function with an empty list", 0)
    if i < 0:
        raise FuncError("cannot use element function with a negative index", 1)
    return lst[i % len(lst)]


@function("flatten", Param("list"), nested_unknown=True)
def f_flatten(c: Call, a: list[Any]) -> Any:
    if not isinstance(a[0], list):
        raise FuncError("can only flatten lists, sets and tuples", 0)
    out: list[Any] = []

    def walk(v: list[Any]) -> None:
        for x in v:
            if isinstance(x, list) and not is_null(x):
                walk(x)
            else:
                out.append(x)

    walk(a[0])
    return out


@function("index", Param("list"), Param("value"), nested_unknown=True)
def f_index(c: Call, a: list[Any]) -> Any:
    lst, value = a
    if isinstance(lst, SetV) or not isinstance(lst, list):
        raise FuncError("argument must be a list or tuple", 0)
    for i, v in enumerate(lst):
        r = equal(v, value)
        if isinstance(r, Unknown):
            return r
        if r is True:
            return i
    raise FuncError("item not found")


@function("keys", Param("inputMap"), nested_unknown=True)
def f_keys(c: Call, a: list[Any]) -> Any:
    m = a[0]
    if not isinstance(m, dict):
        raise FuncError("must have map or object type", 0)
    ks = sorted(m)
    if isinstance(m, MapV):
        return ListV(ks, STRING)
    return ks


@function("values", Param("mapping"), nested_unknown=True)
def f_values(c: Call, a: list[Any]) -> Any:
    m = a[0]
    if not isinstance(m, dict):
        raise FuncError("values() requires a map as the first argument", 0)
    vs = [m[k] for k in sorted(m)]
    if isinstance(m, MapV):
        return ListV(vs, m.ety)
    return vs


@function("lookup", Param("inputMap"), Param("key", STRING), variadic=Param("default", allow_null=True), nested_unknown=True)
def f_lookup(c: Call, a: list[Any]) -> Any:
    if len(a) > 3:
        raise FuncError("lookup() takes two or three arguments, got " + str(len(a)))
    m, key = a[0], a[1]
    if not isinstance(m, dict):
        raise FuncError(f"the given value is not a map or an object, but {type_of(m).friendly()}", 0)
    if len(a) == 3:
        default = a[2]
        if isinstance(m, MapV):
            rt = m.ety
            try:
                default = convert(default, rt)
            except ConversionError:
                raise FuncError("the default value must have the same type as the map elements", 2) from None
        else:
            rt = DYNAMIC
        if key in m:
            return convert(m[key], rt) if rt.kind != "any" else m[key]
        return convert(default, rt) if rt.kind != "any" else default
    if key in m:
        return m[key]
    raise FuncError(f'lookup failed to find key "{key}"')


@function("matchkeys", Param("values", ANY_LIST), Param("keys", ANY_LIST), Param("searchset", ANY_LIST))
def f_matchkeys(c: Call, a: list[Any]) -> Any:
    values, keys, search = a
    if len(values) != len(keys):
        raise FuncError("length of keys and values should be equal")
    kt = unify([keys.ety, search.ety])
    if kt is None:
        raise FuncError("keys and searchset must be of the same type", 2)
    keys = [convert(k, kt) for k in keys]
    search = [convert(s, kt) for s in search]
    out = [v for v, k in zip(values, keys, strict=True) if any(equal(k, s) is True for s in search)]
    return ListV(out, values.ety)


@function("merge", variadic=Param("maps", allow_null=True), nested_unknown=True)
def f_merge(c: Call, a: list[Any]) -> Any:
    out: dict[str, Any] = {}
    types: list[Type] = []
    for i, v in enumerate(a):
        if v is None:
            types.append(DYNAMIC)
            continue
        if isinstance(v, Null):
            if v.ty.kind not in ("map", "object"):
                raise FuncError(f"arguments must be maps or objects, got {v.ty.friendly()!r}", i)
            types.append(v.ty)
            continue
        if not isinstance(v, dict):
            raise FuncError(f'arguments must be maps or objects, got "{type_of(v).friendly()}"', i)
        types.append(type_of(v))
        out.update(v)
    if not a:
        return {}
    if any(t.kind == "any" for t in types):
        return out
    if all(t == types[0] for t in types) and types[0].kind == "map" and types[0].elem is not None:
        return MapV(out, types[0].elem)
    return out


@function("one", Param("list"), nested_unknown=True)
def f_one(c: Call, a: list[Any]) -> Any:
    v = a[0]
    if not isinstance(v, list):
        raise FuncError("must be a list, set, or tuple value", 0)
    if len(v) > 1:
        raise FuncError("must be a list, set, or tuple value with either zero or one elements", 0)
    if not v:
        if isinstance(v, ListV | SetV):
            return null_of(v.ety)
        return None
    return v[0]


@function("range", variadic=Param("params", NUMBER))
def f_range(c: Call, a: list[Any]) -> Any:
    if not 1 <= len(a) <= 3:
        raise FuncError("must have one, two, or three arguments")
    if len(a) == 1:
        start, limit = 0, a[0]
        step = 1 if numbers.compare(limit, 0) >= 0 else -1
    elif len(a) == 2:
        start, limit = a
        step = 1 if numbers.compare(limit, start) >= 0 else -1
    else:
        start, limit, step = a
        if numbers.is_zero(step):
            raise FuncError("step must not be zero", 2)
    down = numbers.sign(step) < 0
    if down and numbers.compare(start, limit) < 0:
        raise FuncError("step must be positive when start is less than limit", 2)
    if not down and numbers.compare(start, limit) > 0:
        raise FuncError("step must be negative when start is greater than limit", 2)
    out: list[Any] = []
    x: Any = start
    while (numbers.compare(x, limit) > 0) if down else (numbers.compare(x, limit) < 0):
        if len(out) >= 1024:
            raise FuncError("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step")
        out.append(x)
        x = numbers.add(x, step)
    return ListV(out, NUMBER)


@function("reverse", Param("list"), nested_unknown=True)
def f_reverse(c: Call, a: list[Any]) -> Any:
    v = a[0]
    if isinstance(v, SetV):
        return ListV(list(reversed(v)), v.ety)
    if not isinstance(v, list):
        raise FuncError(f"can only reverse list or tuple values, not {type_of(v).friendly()}", 0)
    if isinstance(v, ListV):
        return ListV(list(reversed(v)), v.ety)
    return list(reversed(v))


def _sets(a: list[Any]) -> tuple[list[SetV], Type]:
    types = [s.ety for s in a]
    ety = unify(types) if types else DYNAMIC
    if ety is None:
        raise FuncError("given sets must all have compatible element types")
    return [convert(s, set_of(ety)) for s in a], ety


@function("setunion", Param("first_set", ANY_SET), variadic=Param("other_sets", ANY_SET))
def f_setunion(c: Call, a: list[Any]) -> Any:
    sets, ety = _sets(a)
    return make_set([x for s in sets for x in s], ety)


@function("setintersection", Param("first_set", ANY_SET), variadic=Param("other_sets", ANY_SET))
def f_setintersection(c: Call, a: list[Any]) -> Any:
    sets, ety = _sets(a)
    out = [x for x in sets[0] if all(any(equal(x, y) is True for y in s) for s in sets[1:])]
    return make_set(out, ety)


@function("setsubtract", Param("a", ANY_SET), Param("b", ANY_SET))
def f_setsubtract(c: Call, a: list[Any]) -> Any:
    sets, ety = _sets(a)
    return make_set([x for x in sets[0] if not any(equal(x, y) is True for y in sets[1])], ety)


@function("setproduct", variadic=Param("sets"))
def f_setproduct(c: Call, a: list[Any]) -> Any:
    if len(a) < 2:
        raise FuncError("at least two arguments are required")
    any_set = False  # cty: a list only when every argument is a list or tuple
    etys: list[Type] = []
    for i, s in enumerate(a):
        if not isinstance(s, list):
            raise FuncError("a set or a list is required", i)
        if isinstance(s, SetV):
            any_set = True
        if isinstance(s, ListV | SetV):
            etys.append(s.ety)
        else:
            u = unify([type_of(x) for x in s]) if s else DYNAMIC
            if u is None:
                raise FuncError("all elements must be of the same type", i)
            etys.append(u)
    elem = tuple_of(tuple(etys))
    combos: list[list[Any]] = [[]]
    for i, s in enumerate(a):
        items = [convert(x, etys[i]) for x in s]
        combos = [c_ + [x] for c_ in combos for x in items]
    if any_set:
        return make_set(combos, elem)
    return ListV(combos, elem)


@function("slice", Param("list"), Param("start_index", NUMBER), Param("end_index", NUMBER), nested_unknown=True)
def f_slice(c: Call, a: list[Any]) -> Any:
    lst = a[0]
    if isinstance(lst, SetV) or not isinstance(lst, list):
        raise FuncError("must be a list or tuple value", 0)
    start, end = _int(a[1], 1, "start index"), _int(a[2], 2, "end index")
    if start < 0:
        raise FuncError("from index must be greater than or equal to 0", 1)
    if end > len(lst):
        raise FuncError("to index must be less than or equal to the length of the input collection", 2)
    if start > end:
        raise FuncError("from index must be less than or equal to index", 1)
    part = lst[start:end]
    return ListV(part, lst.ety) if isinstance(lst, ListV) else part


@function("sort", Param("list", list_of(STRING)))
def f_sort(c: Call, a: list[Any]) -> Any:
    for i, v in enumerate(a[0]):
        if is_null(v):
            raise FuncError(f"given list element {i} is null; a null string cannot be sorted", 0)
    return ListV(sorted(a[0]), STRING)


@function("sum", Param("list"))
def f_sum(c: Call, a: list[Any]) -> Any:
    lst = a[0]
    if not isinstance(lst, list):
        raise FuncError("argument must be list, set, or tuple. Received " + type_of(lst).friendly(), 0)
    if not lst:
        raise FuncError("cannot sum an empty list", 0)
    total: Any = None
    for v in lst:
        if is_null(v):
            raise FuncError("argument must be list, set, or tuple of number values", 0)
        try:
            n = convert(v, NUMBER)
        except ConversionError:
            raise FuncError("argument must be list, set, or tuple of number values", 0) from None
        total = n if total is None else numbers.add(total, n)
    return total


@function("transpose", Param("values", map_of(list_of(STRING))))
def f_transpose(c: Call, a: list[Any]) -> Any:
    out: dict[str, list[str]] = {}
    for k in sorted(a[0]):
        for v in a[0][k]:
            if is_null(v):
                raise FuncError("input lists must not contain null values", 0)
            out.setdefault(v, []).append(k)
    return MapV({k: ListV(v, STRING) for k, v in out.items()}, list_of(STRING))


@function("zipmap", Param("keys", list_of(STRING)), Param("values"), nested_unknown=True)
def f_zipmap(c: Call, a: list[Any]) -> Any:
    keys, values = a
    if not isinstance(values, list):
        raise FuncError(f"values argument must be a list or tuple, not {type_of(values).friendly()}", 1)
    if len(keys) != len(values):
        raise FuncError(f"number of keys ({len(keys)}) does not match number of values ({len(values)})")
    for k in keys:
        if is_null(k):
            raise FuncError("keys list must not contain null values", 0)
    out = dict(zip(keys, values, strict=True))
    if isinstance(values, ListV | SetV):
        return MapV(out, values.ety)
    return out


def _numbers(a: list[Any], name: str) -> list[Any]:
    if not a:
        raise FuncError("must pass at least one number")
    for v in a:
        if not is_number(v):
            raise FuncError(f"{name}: a number is required")
    return a


@function("max", variadic=Param("numbers", NUMBER))
def f_max(c: Call, a: list[Any]) -> Any:
    best = None
    for v in _numbers(a, "max"):
        if best is None or numbers.compare(v, best) > 0:
            best = v
    return best


@function("min", variadic=Param("numbers", NUMBER))
def f_min(c: Call, a: list[Any]) -> Any:
    best = None
    for v in _numbers(a, "min"):
        if best is None or numbers.compare(v, best) < 0:
            best = v
    return best


