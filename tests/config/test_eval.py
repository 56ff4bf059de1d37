"""Expression evaluation: operators, templates, for expressions, splats and unknown values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imgb.diagnostics import SourcePos
from imgb.reconciler.config.eval import Context, EvalError, Evaluator
from imgb.reconciler.config.hcl import parse_expression
from imgb.unknown import Unknown, marker

VARS: dict[str, Any] = {
    "s": "abc",
    "n": 4,
    "l": ["a", "b", "c"],
    "m": {"x": 1, "y": 2},
    "objs": [{"name": "a", "v": 1}, {"name": "b", "v": 2}],
    "flag": True,
}


def resolve(root: str, name: str, pos: SourcePos) -> Any:
    if root == "var":
        return VARS[name]
    if root == "component":
        return {"id": Unknown(f"component.{name}.id"), "name": name}
    raise EvalError("Invalid reference", f"{root}.{name}", pos, static=True)


def ev(src: str, directory: Path = Path(".")) -> Any:
    return Evaluator(Context(directory, resolve)).eval(parse_expression(src, "t.imgb.hcl"))


@pytest.mark.parametrize(
    ("src", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("8 / 2", 4),
        ("-7 % 3", -1),
        ('"5" + 1', 6),
        ("1 < 2 && !false", True),
        ("1 == 1.0", True),
        ('1 == "1"', False),
        ("true == 1", False),
        ("var.n > 3 ? \"big\" : \"small\"", "big"),
        ("var.l[1]", "b"),
        ('var.m["y"]', 2),
        ("var.m.x", 1),
        ("var.objs[*].name", ["a", "b"]),
        ("var.objs.*.v", [1, 2]),
        ("[for s in var.l : upper(s) if s != \"b\"]", ["A", "C"]),
        ("{for k, v in var.m : v => k}", {"1": "x", "2": "y"}),
        ('{for s in ["a", "b", "a"] : s => s...}', {"a": ["a", "a"], "b": ["b"]}),
        ("[for i, s in var.l : i]", [0, 1, 2]),
        ('"${var.s}-${var.n}-${var.flag}"', "abc-4-true"),
        ('"${var.l}"', ["a", "b", "c"]),
        ('"%{ for s in var.l }${s},%{ endfor }"', "a,b,c,"),
        ('"%{ if var.flag }on%{ else }off%{ endif }"', "on"),
        ("null", None),
        ("max([3, 5]...)", 5),
        ("max(var.n, [7, 1]...)", 7),
    ],
)
def test_values(src: str, value: Any) -> None:
    assert ev(src) == value


def test_unknowns_propagate_but_become_markers_in_strings() -> None:
    assert ev("component.nginx.id") == Unknown("component.nginx.id")
    assert ev('"COMPONENT ${component.nginx.id} --x"') == f"COMPONENT {marker('component.nginx.id')} --x"
    assert ev('"${component.nginx.id}"') == Unknown("component.nginx.id")  # a lone interpolation is its value
    assert ev("upper(component.nginx.id)") == Unknown("component.nginx.id")
    assert ev("component.nginx.id == \"x\" ? 1 : 2") == Unknown("component.nginx.id")
    assert ev("length([component.a.id, component.b.id])") == 2
    assert ev("join(\",\", [component.a.id])") == Unknown("component.a.id")
    assert ev("[for x in [component.a.id] : x]") == [Unknown("component.a.id")]
    assert ev("can(component.a.id)") == Unknown("component.a.id")


@pytest.mark.parametrize(
    ("src", "summary"),
    [
        ("var.l[5]", "Invalid index"),
        ('var.m["z"]', "Invalid index"),
        ("var.m.z", "Unsupported attribute"),
        ("var.l.name", "Unsupported attribute"),
        ('"x" + 1', "Invalid operand"),
        ("0 / 0", "Operation failed"),
        ('"a" ? 1 : 2', "Incorrect condition type"),
        ('"${var.m}x"', "Invalid template interpolation value"),
        ('"${null}x"', "Invalid template interpolation value"),
        ("{for s in var.l : \"k\" => s}", "Duplicate object key"),
        ("[for s in 3 : s]", "Iteration over non-iterable value"),
        ("nosuch(1)", "Call to unknown function"),
        ("upper()", "Not enough function arguments"),
        ("upper(1, 2)", "Too many function arguments"),
        ("bare", "Invalid reference"),
        ("var", "Invalid reference"),
        ("each.key", 'Reference to "each" in context without for_each'),
    ],
)
def test_errors(src: str, summary: str) -> None:
    with pytest.raises(EvalError) as exc:
        ev(src)
    assert exc.value.summary == summary
    assert exc.value.pos is not None and exc.value.pos.filename == "t.imgb.hcl"


def test_did_you_mean_in_attribute_errors() -> None:
    with pytest.raises(EvalError) as exc:
        ev('{ name = "a" }.nmae')
    assert 'Did you mean "name"?' in exc.value.detail


def test_can_and_try_hide_dynamic_errors_only() -> None:
    assert ev("can(var.l[9])") is False
    assert ev("can(var.l[0])") is True
    assert ev('try(var.m.z, var.m.x, "d")') == 1
    # As in Terraform 1.11 (terraform validate and plan accept it): an unknown function fails
    # when it is called, so try() and can() catch it.
    assert ev("can(var.l + nosuch(1))") is False
    assert ev("try(nosuch(), 1)") == 1
    with pytest.raises(EvalError) as exc:
        ev("nosuch(1)")
    assert exc.value.summary == "Call to unknown function"
    with pytest.raises(EvalError):
        ev("try(var.l[9], var.m.z)")
