"""Random expressions never make the evaluator raise anything but a diagnostic: every operator,
every function with random arguments, templates, for expressions, splats and conversions, over
values of every type (unknown and sensitive ones included). Whatever comes out prints as the
console prints it and converts to plain values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.diagnostics import SourcePos
from imgb.reconciler.config.eval import Context, EvalError, Evaluator
from imgb.reconciler.config.functions import FUNCTIONS
from imgb.reconciler.config.hcl import SyntaxProblem, parse_expression
from imgb.reconciler.config.marks import mark, strip
from imgb.reconciler.config.values import plain
from imgb.reconciler.console import format_value
from imgb.unknown import Unknown

_NUMBERS = ["0", "-0", "1", "-1", "0.1", "1e20", "1e400", "-1e-400", "3.5", "(1/0)", "(-1/0)", "9007199254740993",
            "0.30000000000000004", "1e-7", "123456789012345678901234567890"]  # fmt: skip
_STRINGS = ['""', '"a"', '"é"', '"e\\u0301"', '"👍🏽"', '"a,b"', '"1"', '"true"', '"x y"', '"\\n"', '"%s %d"', '"/a+/"',
            '"${1}"', '"%{ if true }y%{ endif }"', '"10.0.0.0/8"', '"2024-01-01T00:00:00Z"', '"1h"', '"[1]"',
            '"a: 1"', '"ß"', '"İ"', '"ǅ"', '"\\u0000"', '"files/x"']  # fmt: skip
_REFS = ["local.l", "local.m", "local.s", "local.u", "local.secret", "local.n", "local.objs", "local.null"]
_OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]
_FUNCS = sorted(FUNCTIONS)


def _atoms() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_NUMBERS),
        st.sampled_from(_STRINGS),
        st.sampled_from(["true", "false", "null"]),
        st.sampled_from(_REFS),
        st.integers(-3, 70).map(str),
    )


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.sampled_from(["a", "b", "c", '"k"', "(local.n)"]), inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}"
        ),
        st.tuples(inner, st.sampled_from(_OPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "!"]), inner).map(lambda t: f"{t[0]}{t[1]}"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["a", "b", "name", "0"])).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(inner, st.sampled_from(["[*]", ".*", "[*].a", "[*][0]"])).map(lambda t: f"{t[0]}{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"[for k, v in {t[0]} : {t[1]}]"),
        st.tuples(inner, inner, inner).map(lambda t: f"{{for k, v in {t[0]} : tostring(k) => {t[1]} if {t[2]}}}"),
        st.tuples(inner, inner).map(lambda t: f"{{for v in {t[0]} : tostring(v) => {t[1]}...}}"),
        st.tuples(inner, inner).map(lambda t: f'"a${{{t[0]}}}b%{{ if {t[1]} }}c%{{ endif }}"'),
        st.tuples(inner, inner).map(lambda t: f'"%{{ for x in {t[0]} ~}} ${{x}} %{{~ endfor }}${{{t[1]}}}"'),
        st.tuples(st.sampled_from(_FUNCS), st.lists(inner, max_size=4), st.booleans()).map(
            lambda t: f"{t[0]}({', '.join(t[1])}{'...' if t[2] and t[1] else ''})"
        ),
        st.tuples(st.sampled_from(["can", "try", "sensitive", "nonsensitive", "tolist", "toset", "tomap"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
    )


EXPRESSIONS = st.recursive(_atoms(), _extend, max_leaves=12)

LOCALS: dict[str, Any] = {
    "l": ["a", "b", 3],
    "m": {"a": 1, "b": "x"},
    "s": ["x", "y"],
    "u": Unknown("component.x.id"),
    "secret": mark("s3cr3t"),
    "n": 2,
    "objs": [{"a": 1, "name": "x"}, {"a": 2, "name": "y"}],
    "null": None,
}


def _resolve(root: str, name: str, pos: SourcePos) -> Any:
    if root == "local" and name in LOCALS:
        return LOCALS[name]
    raise EvalError("Reference to undeclared local value", name, pos, static=True)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(EXPRESSIONS)
def test_random_expressions_never_raise_internally(tmp_path_factory: Any, text: str) -> None:
    directory = Path(tmp_path_factory.getbasetemp())
    try:
        expr = parse_expression(text, "fuzz.hcl")
    except SyntaxProblem:
        return
    try:
        value = Evaluator(Context(directory, _resolve)).eval(expr)
    except EvalError:
        return
    format_value(value)
    json.dumps(plain(strip(value)), default=str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(_FUNCS), st.lists(_atoms(), max_size=4))
def test_every_function_with_random_arguments(tmp_path_factory: Any, name: str, args: list[str]) -> None:
    directory = Path(tmp_path_factory.getbasetemp())
    text = f"{name}({', '.join(args)})"
    try:
        value = Evaluator(Context(directory, _resolve)).eval(parse_expression(text, "fuzz.hcl"))
    except (EvalError, SyntaxProblem):
        return
    format_value(value)
