"""Built-in functions: results, argument checks, and the file functions' directory confinement."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from imgb.diagnostics import SourcePos
from imgb.reconciler.config.eval import Context, EvalError, Evaluator
from imgb.reconciler.config.hcl import parse_expression


def _no_refs(root: str, name: str, pos: SourcePos) -> Any:
    raise EvalError("Invalid reference", "", pos, True)


def run(src: str, directory: Path = Path(".")) -> tuple[Any, Context]:
    ctx = Context(directory, _no_refs)
    return Evaluator(ctx).eval(parse_expression(src, "t.imgb.hcl")), ctx


def call(src: str) -> Any:
    return run(src)[0]


@pytest.mark.parametrize(
    ("src", "value"),
    [
        ('format("%s-%03d-%.2f-%q-%t-%%", "a", 7, 1.5, "x", true)', 'a-007-1.50-"x"-true-%'),
        ('format("%[2]s %[1]s", "a", "b")', "b a"),
        ('join("-", ["a", "b"], ["c"])', "a-b-c"),
        ('split(",", "a,b,,c")', ["a", "b", "", "c"]),
        ('lower("AbC")', "abc"),
        ('upper("AbC")', "ABC"),
        ('replace("1.2.3", ".", "-")', "1-2-3"),
        ('replace("a1b22", "/([a-z])(\\\\d+)/", "$2$1")', "1a22b"),
        ('trimspace("  x \\n")', "x"),
        ("concat([1], [2, 3], [])", [1, 2, 3]),
        ('merge({a = 1, b = 1}, {b = 2}, null)', {"a": 1, "b": 2}),
        ('lookup({a = 1}, "b", 0)', 0),
        ('length("héllo")', 5),
        ("length({a = 1})", 1),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ("values({b = 1, a = 2})", [2, 1]),
        ('contains(["a", 1], 1)', True),
        ('toset(["b", "a", "b"])', ["a", "b"]),
        ("tolist([1])", [1]),
        ("tomap({a = 1})", {"a": 1}),
        ("jsonencode({b = [1, true, null], a = \"x\"})", '{"a":"x","b":[1,true,null]}'),
        ('jsondecode("{\\"a\\": [1, 2.5]}")', {"a": [1, 2.5]}),
        ('yamlencode({a = ["x"]})', '"a":\n- "x"\n'),
        ('sha256("abc")', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ('regex("^v([0-9]+)\\\\.([0-9]+)$", "v1.22")', ["1", "22"]),
        ('regex("(?P<major>[0-9]+)", "v12")', {"major": "12"}),
        ('regex("[0-9]+", "v12")', "12"),
        ('coalesce(null, "", "x")', "x"),
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("range(3)", [0, 1, 2]),
        ("range(1, 7, 2)", [1, 3, 5]),
        ("flatten([[1, [2]], 3])", [1, 2, 3]),
        ("distinct([1, 2, 1])", [1, 2]),
        ('sort(["b", "a"])', ["a", "b"]),
        ('startswith("hello", "he")', True),
        ('endswith("hello", "lo")', True),
        ('substr("hello", 1, 3)', "ell"),
        ('substr("hello", -3, -1)', "llo"),
        ('trim("--x--", "-")', "x"),
        ('base64decode(base64encode("hé"))', "hé"),
        ("tostring(5)", "5"),
        ('tonumber("2.50")', 2.5),
        ('tobool("true")', True),
        ('element(["a", "b"], 3)', "b"),
        ("slice([1, 2, 3], 1, 3)", [2, 3]),
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ('can(regex("^x", "y"))', False),
        ('try(tonumber("x"), 0)', 0),
    ],
)
def test_function_results(src: str, value: Any) -> None:
    assert call(src) == value


@pytest.mark.parametrize(
    ("src", "fragment"),
    [
        ('lookup({a = 1}, "b")', 'failed to find key "b"'),
        ('tonumber("x")', 'cannot convert "x" to number'),
        ('regex("[", "x")', "invalid regular expression"),
        ('regex("a", "b")', "did not match"),
        ('jsondecode("{")', "invalid JSON"),
        ("zipmap([\"a\"], [])", "does not match number of values"),
        ('merge({}, "x")', "must be maps or objects"),
        ("coalesce(null)", "no non-null, non-empty-string arguments"),
        ('format("%d", "x")', "a number is required"),
        ("slice([1], 0, 5)", "less than or equal to the length"),
    ],
)
def test_function_errors_are_diagnostics_at_the_call(src: str, fragment: str) -> None:
    with pytest.raises(EvalError) as exc:
        call(src)
    assert fragment in exc.value.detail
    assert exc.value.summary in ("Error in function call", "Invalid function argument")


def test_file_functions_and_digests(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("hello ${x}\n")
    (tmp_path / "t.tpl").write_text("%{ for n in names }${greeting} ${n}\n%{ endfor }")
    value, ctx = run('file("sub/a.txt")', tmp_path)
    assert value == "hello ${x}\n"
    digest = "9c1fdc26d8e3a63a8a5b2a2ef51ea1a51bb6a1e1e2c71fa0cb6d0bca6c2c5d0a"
    assert set(ctx.file_digests) == {"sub/a.txt"} and len(ctx.file_digests["sub/a.txt"]) == len(digest)
    assert run('fileexists("sub/a.txt")', tmp_path)[0] is True
    assert run('fileexists("sub/nope")', tmp_path)[0] is False
    assert run('filesha256("sub/a.txt")', tmp_path)[0] == ctx.file_digests["sub/a.txt"]
    out, ctx2 = run('templatefile("t.tpl", { names = ["a", "b"], greeting = "hi" })', tmp_path)
    assert out == "hi a\nhi b\n" and "t.tpl" in ctx2.file_digests


@pytest.mark.parametrize("path", ["../x", "sub/../../x", "/etc/passwd", "~/x", "link/secret", "outlink"])
def test_file_paths_may_not_leave_the_directory(tmp_path: Path, path: str) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (tmp_path / "x").write_text("outside")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "secret").write_text("s")
    os.symlink(tmp_path / "secrets", cfg / "link")
    os.symlink("../x", cfg / "outlink")
    with pytest.raises(EvalError) as exc:
        run(f'file("{path}")', cfg)
    assert "configuration directory" in exc.value.detail
    assert exc.value.pos is not None and exc.value.pos.line == 1


def test_symlink_inside_the_directory_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("ok")
    os.symlink("real.txt", tmp_path / "alias.txt")
    assert run('file("alias.txt")', tmp_path)[0] == "ok"


def test_file_rejects_unknown_markers(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text("x \ue000component.a.id\ue001")
    with pytest.raises(EvalError) as exc:
        run('file("m.txt")', tmp_path)
    assert "private-use" in exc.value.detail


def test_the_function_table_names_each_functions_own_module() -> None:
    """FUNCTIONS knows every function by name before its module is imported: the table must say
    where each one is defined, and list every function the modules define."""
    import importlib
    import pkgutil

    from imgb.reconciler.config import functions

    defined: dict[str, str] = {}
    for info in pkgutil.iter_modules(functions.__path__):
        module = importlib.import_module(f"{functions.__name__}.{info.name}")
        for name, func in functions.FUNCTIONS._loaded.items():
            if func.impl.__module__ == module.__name__:
                defined[name] = info.name
    assert defined == functions._MODULE_OF
    assert sorted(functions.FUNCTIONS) == sorted(defined)
    assert "nosuchfunction" not in functions.FUNCTIONS and functions.FUNCTIONS.get("nosuchfunction") is None


def test_a_configuration_imports_only_the_functions_it_calls(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "main.imgb.hcl").write_text(
        'locals {\n  a = upper("x")\n  b = can(regex("[", "x"))\n}\noutput "a" {\n  value = local.a\n}\n'
    )
    probe = (
        "import sys\n"
        "from imgb.reconciler.config.load import load_config\n"
        f"load_config({str(tmp_path)!r})\n"
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('imgb.reconciler.config.functions.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['errors',", "'strings']"]
