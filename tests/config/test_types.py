"""Variable type constraints and Terraform-like conversion."""

from __future__ import annotations

from typing import Any

import pytest

from imgb.reconciler.config.convert import convert
from imgb.reconciler.config.hcl import parse_expression
from imgb.reconciler.config.types import STRING, TypeSyntaxError, parse_type
from imgb.reconciler.config.values import ConversionError, Null


def t(src: str) -> Any:
    return parse_type(parse_expression(src, "t"))


@pytest.mark.parametrize(
    ("type_src", "value", "expected"),
    [
        ("string", 5, "5"),
        ("string", True, "true"),
        ("number", "42", 42),
        ("number", "1.5", 1.5),
        ("bool", "false", False),
        ("list(number)", ["1", 2], [1, 2]),
        ("set(string)", ["b", "a", "b"], ["a", "b"]),
        ("map(string)", {"a": 1}, {"a": "1"}),
        ("tuple([string, number])", [1, "2"], ["1", 2]),
        ("object({ name = string, size = optional(number, 40) })", {"name": "x", "extra": 1}, {"name": "x", "size": 40}),
        ("any", {"a": [1]}, {"a": [1]}),
        ("string", None, Null(STRING)),
    ],
)
def test_conversions(type_src: str, value: Any, expected: Any) -> None:
    assert convert(value, t(type_src)) == expected


@pytest.mark.parametrize(
    ("type_src", "value", "fragment"),
    [
        ("number", "abc", 'a number is required, got string "abc"'),
        ("bool", "yes", "a bool is required"),
        ("string", ["a"], "string required, but have tuple"),
        ("list(number)", [1, "x"], '[1]: a number is required, got string "x"'),
        ("object({ name = string })", {}, 'attribute "name" is required'),
        ("map(number)", {"a": "b"}, '["a"]: a number is required'),
    ],
)
def test_conversion_errors(type_src: str, value: Any, fragment: str) -> None:
    with pytest.raises(ConversionError) as exc:
        convert(value, t(type_src))
    assert fragment in str(exc.value)


@pytest.mark.parametrize("src", ["strin", "list(string, number)", "optional(string)", "\"string\"", "tuple(string)"])
def test_bad_type_constraints(src: str) -> None:
    with pytest.raises(TypeSyntaxError):
        t(src)


def test_type_strings() -> None:
    assert str(t("map(list(string))")) == "map(list(string))"
    assert str(t("object({ a = string, b = optional(number) })")) == "object({a = string, b = optional(number)})"
