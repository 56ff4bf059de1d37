"""Parsing: HCL text to imgb's AST, heredoc templates, and syntax diagnostics."""

from __future__ import annotations

import pickle

import pytest

from imgb.diagnostics import SourcePos
from imgb.reconciler.config import ast
from imgb.reconciler.config.hcl import (
    SyntaxProblem,
    _simple_reference,
    parse,
    parse_expression,
    parse_template,
)


def one_attr(text: str) -> ast.Attribute:
    body, diags = parse(text, "t.imgb.hcl")
    assert not diags and body is not None, diags
    (attr,) = body.attributes
    return attr


def test_blocks_labels_and_positions() -> None:
    body, diags = parse('# c\ncomponent "nginx" {\n  content = "RUN true"\n}\n', "main.imgb.hcl")
    assert not diags and body is not None
    (block,) = body.blocks
    assert (block.type, block.labels, block.pos.line) == ("component", ("nginx",), 2)
    (attr,) = block.body.attributes
    assert attr.name == "content" and attr.pos == SourcePos("main.imgb.hcl", 3, 3)


def test_heredoc_trim_and_body_line() -> None:
    attr = one_attr("x = <<-EOT\n    RUN a\n      RUN b\n\n    RUN ${var.v}\n  EOT\n")
    expr = attr.expr
    assert isinstance(expr, ast.TemplateExpr) and expr.kind == "heredoc" and expr.body_line == 2
    lit, ref, tail = expr.parts
    assert isinstance(lit, ast.LiteralValue) and lit.value == "RUN a\n  RUN b\n\nRUN "
    assert ref == ast.GetAttr(SourcePos("t.imgb.hcl", 5, 14), ast.Variable(SourcePos("t.imgb.hcl", 5, 11), "var"), "v")
    assert isinstance(tail, ast.LiteralValue) and tail.value == "\n"


def test_heredoc_plain_keeps_indent_and_escapes() -> None:
    attr = one_attr("x = <<EOT\n  a $${literal} %%{ x }\nEOT\n")
    assert isinstance(attr.expr, ast.TemplateExpr)
    assert attr.expr.parts == (ast.LiteralValue(attr.expr.parts[0].pos, "  a ${literal} %{ x }\n"),)


def test_heredoc_directives_and_strip_markers() -> None:
    attr = one_attr('x = <<EOT\n%{ for n in ["a", "b"] ~}\nRUN ${n}\n%{ endfor ~}\n%{ if true }yes%{ else }no%{ endif }\nEOT\n')
    expr = attr.expr
    assert isinstance(expr, ast.TemplateExpr)
    loop = expr.parts[0]
    assert isinstance(loop, ast.TemplateFor) and loop.value_var == "n"
    assert isinstance(loop.body[0], ast.LiteralValue) and loop.body[0].value == "RUN "
    cond = expr.parts[1]
    assert isinstance(cond, ast.TemplateIf)


def test_quoted_string_escapes_and_directives() -> None:
    attr = one_attr('x = "a\\tb \\"q\\" \\u00e9 $${x} %{ if true }y%{ endif }"\n')
    expr = attr.expr
    assert isinstance(expr, ast.TemplateExpr)
    assert isinstance(expr.parts[0], ast.LiteralValue) and expr.parts[0].value == 'a\tb "q" é ${x} '
    assert isinstance(expr.parts[1], ast.TemplateIf)


@pytest.mark.parametrize(
    "src",
    ["var.app_version", "component.nginx.id", "local.list[0]", " local.a-b.c ", "each.value"],
)
def test_fast_reference_path_matches_the_parser(src: str) -> None:
    fast = _simple_reference(src, "f", SourcePos("f", 3, 7))
    slow = parse_expression(src, "f", 3, 7)
    assert fast == slow


def test_expressions_shape() -> None:
    e = parse_expression('[for k, v in local.m : "${k}=${v}" if v != ""]', "f")
    assert isinstance(e, ast.ForExpr) and e.key_var == "k" and e.key_expr is None and e.cond is not None
    e = parse_expression("{ for x in var.l : x => x... }", "f")
    assert isinstance(e, ast.ForExpr) and e.group and e.key_expr is not None
    e = parse_expression("f(1, [2, 3]...)", "f")
    assert isinstance(e, ast.FunctionCall) and e.expand_final and len(e.args) == 2
    e = parse_expression("var.l[*].name", "f")
    assert isinstance(e, ast.Splat) and isinstance(e.each, ast.GetAttr)
    e = parse_expression("a ? 1 : -2 * 3", "f")
    assert isinstance(e, ast.Conditional)
    e = parse_expression("{ a = 1, (local.k) = 2, \"c\" = 3 }", "f")
    assert isinstance(e, ast.ObjectExpr)
    assert [type(i.key).__name__ for i in e.items] == ["LiteralValue", "GetAttr", "TemplateExpr"]


@pytest.mark.parametrize(
    ("text", "summary", "line"),
    [
        ("a = \n", "Invalid expression", 1),
        ('b {\n  a = 1\n', "Unclosed configuration block", 1),
        ('a = "x\n', "Unterminated string", 1),
        ("a = <<EOT\nfoo\n", "Unterminated heredoc", 1),
        ("a = 1\n}\n", "Argument or block definition required", 2),
        ('a = <<EOT\n${x +}\nEOT\n', "Invalid expression", 2),
        ('a = "%{ if x }y"\n', "Unclosed if directive", 1),
        ('a = <<EOT\n%{ endfor }\nEOT\n', "Unexpected endfor directive", 2),
        ('a = <<EOT\n%{ bogus }\nEOT\n', "Invalid template directive", 2),
        ('a = <<EOT\n${ x\nEOT\n', "Unclosed template sequence", 2),
        ('a = "\ue001"\n', "Invalid character", 1),
    ],
)
def test_syntax_errors_are_diagnostics(text: str, summary: str, line: int) -> None:
    body, diags = parse(text, "bad.imgb.hcl")
    assert body is None
    (d,) = diags
    assert d.summary == summary and d.pos is not None and d.pos.line == line and d.pos.filename == "bad.imgb.hcl"
    assert d.detail.endswith(".")


def test_crlf_files_parse() -> None:
    body, diags = parse('component "a" {\r\n  content = <<-EOT\r\n    RUN true\r\n  EOT\r\n}\r\n', "f")
    assert not diags and body is not None
    expr = body.blocks[0].body.attributes[0].expr
    assert isinstance(expr, ast.TemplateExpr) and expr.parts[0] == ast.LiteralValue(expr.parts[0].pos, "RUN true\n")


def test_parse_template_and_errors() -> None:
    t = parse_template("Hello ${name}\n", "t.tpl")
    assert isinstance(t.parts[1], ast.Variable)
    with pytest.raises(SyntaxProblem):
        parse_template("${", "t.tpl")


def test_ast_pickles() -> None:
    body, _ = parse('x = [for a in b : "${a}"]\n', "f")
    assert pickle.loads(pickle.dumps(body)) == body


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    body, diags = parse("x = " + "[" * 3000 + "]" * 3000 + "\n", "f")
    assert body is not None or diags
