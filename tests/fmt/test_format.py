"""format_source: the canonical layout, idempotence, and that only whitespace ever changes."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from imgb.reconciler.fmt import format_diff, format_source

ROOT = Path(__file__).resolve().parents[2]


def fmt(text: str) -> str:
    out, diags = format_source(text, "main.imgb.hcl")
    assert not diags.has_errors(), [d.summary + ": " + d.detail for d in diags]
    assert out is not None
    return out


@pytest.mark.parametrize("path", sorted(glob.glob(str(ROOT / "examples" / "*" / "*.imgb.hcl"))))
def test_examples_are_formatted(path: str) -> None:
    text = Path(path).read_text()
    assert fmt(text) == text


def test_indentation_spacing_and_alignment() -> None:
    messy = (
        'template "web"{\nbase_image="busybox"\n    retain=3\nsystem_disk_size   =  40\ntags={a=1,b="x"}\n}\n'
    )
    assert fmt(messy) == (
        'template "web" {\n'
        '  base_image       = "busybox"\n'
        "  retain           = 3\n"
        "  system_disk_size = 40\n"
        '  tags             = { a = 1, b = "x" }\n'
        "}\n"
    )


def test_multi_line_values_break_alignment_runs_but_heredocs_do_not() -> None:
    text = (
        'component "a" {\n'
        '  description = "x"\n'
        "  content = <<-EOT\n"
        "    RUN true\n"
        "  EOT\n"
        "  tags = {\n"
        '    team = "web"\n'
        '    managed_by = "imgb"\n'
        "  }\n"
        '  version = "1.0.0"\n'
        "}\n"
    )
    assert fmt(text) == (
        'component "a" {\n'
        '  description = "x"\n'
        "  content     = <<-EOT\n"
        "    RUN true\n"
        "  EOT\n"
        "  tags = {\n"
        '    team       = "web"\n'
        '    managed_by = "imgb"\n'
        "  }\n"
        '  version = "1.0.0"\n'
        "}\n"
    )


def test_heredoc_bodies_and_strings_are_kept_byte_for_byte() -> None:
    text = 'locals {\nx = <<EOT\n   odd   spacing   \n\n\n\tEOT-not-end\nEOT\ny = "a  =  b ${ var.x }"\n}\n'
    out = fmt(text)
    assert "   odd   spacing   \n\n\n\tEOT-not-end\nEOT\n" in out
    assert '"a  =  b ${ var.x }"' in out


def test_blank_lines() -> None:
    text = "\n\n# head\n\n\n\nlocals {\n\n  a = 1\n\n\n\n  b = 2\n\n}\n\n\n\nlocals {\n}\n\n\n"
    assert fmt(text) == "# head\n\nlocals {\n  a = 1\n\n  b = 2\n}\n\nlocals {\n}\n"


def test_comments_are_kept_and_trailing_ones_aligned() -> None:
    text = "locals {\n  a = 1 # one   \n  bbb = 2    // two\n  # alone\n  /* block */ c = 3\n}\n"
    assert fmt(text) == "locals {\n  a   = 1 # one\n  bbb = 2 // two\n  # alone\n  /* block */ c = 3\n}\n"


def test_expressions_spacing() -> None:
    text = (
        "locals {\n"
        '  a = [for k,v in var.m: upper(v) if v!=""]\n'
        "  b = {for k,v in var.m: k=>v}\n"
        "  c = !var.x&&-var.y<3? a.b[0]: x.*.id\n"
        "  d = f(a,b...)\n"
        "  e = {}\n"
        "  f = a-b\n"
        "  g = a - -b\n"
        "}\n"
    )
    assert fmt(text) == (
        "locals {\n"
        '  a = [for k, v in var.m : upper(v) if v != ""]\n'
        "  b = { for k, v in var.m : k => v }\n"
        "  c = !var.x && -var.y < 3 ? a.b[0] : x.*.id\n"
        "  d = f(a, b...)\n"
        "  e = {}\n"
        "  f = a-b\n"
        "  g = a - -b\n"
        "}\n"
    )


def test_final_newline_and_crlf() -> None:
    assert fmt("a = 1") == "a = 1\n"
    assert fmt("locals {\r\n  a = 1\r\n}\r\n") == "locals {\n  a = 1\n}\n"
    assert fmt("") == ""


@pytest.mark.parametrize(
    "text",
    ['locals {\n  a = "unterminated\n}\n', "locals {\n  a = 1\n", "x = <<EOT\nno end\n", "a = = 1\n"],
)
def test_syntax_errors_return_none_and_a_diagnostic(text: str) -> None:
    out, diags = format_source(text, "bad.imgb.hcl")
    assert out is None
    assert diags.has_errors()
    assert all(d.pos is not None and d.pos.filename == "bad.imgb.hcl" for d in diags)


def test_format_diff() -> None:
    assert format_diff("a=1\n", "a=1\n", "x.hcl") == ""
    diff = format_diff("a=1\n", "a = 1\n", "x.hcl")
    assert diff.splitlines() == ["--- old/x.hcl", "+++ new/x.hcl", "@@ -1 +1 @@", "-a=1", "+a = 1"]
    assert "\\ No newline at end of file" in format_diff("a=1", "a = 1\n", "x.hcl")
