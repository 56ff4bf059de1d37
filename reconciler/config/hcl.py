"""HCL native syntax to imgb's AST. The only module that imports ``hcl2`` or ``lark``.

python-hcl2 gives a Lark tree with positions; we walk it into ``imgb.reconciler.config.ast``.
Heredocs arrive as one token, so their templates (``${...}``, ``$${``, ``%{ if }``, ``%{ for }``)
are scanned here, each interpolation parsed on its own and its positions shifted into the file.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from typing import Literal as TypingLiteral

from imgb.diagnostics import Diagnostic, SourcePos, error
from imgb.reconciler.config import ast, numbers
from imgb.reconciler.config.gc_pause import gc_paused
from imgb.reconciler.config.text import GO_SPACE
from imgb.reconciler.config.values import nfc
from imgb.unknown import CLOSE, OPEN

if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import (
        LarkError,
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
    )


def _import_lark() -> None:
    """Lark and python-hcl2 cost 0.1 s to import: only a file the hand-written reader
    (``hcl_reader``) leaves to the grammar needs them."""
    global Lark, Token, Tree, LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
    from lark import Lark, Token, Tree
    from lark.exceptions import (
        LarkError,
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
    )

_EXPR_START = {
    "DBLQUOTE", "FLOAT_LITERAL", "INT_LITERAL", "HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM", "LBRACE",
    "LPAR", "LSQB", "MINUS", "NAME", "NOT", "TEMPLATE_STRING", "TRUE", "FALSE", "NULL",
}  # fmt: skip

_TOKEN_WORDS = {
    "RBRACE": '"}"', "LBRACE": '"{"', "RSQB": '"]"', "LSQB": '"["', "RPAR": '")"', "LPAR": '"("',
    "COMMA": '","', "EQ": '"="', "COLON": '":"', "DBLQUOTE": "a closing quote", "NAME": "a name",
    "NL_OR_COMMENT": "a new line", "$END": "the end of the file", "QMARK": '"?"', "DOT": '"."',
    "FOR_OBJECT_ARROW": '"=>"', "IN": '"in"', "ELLIPSIS": '"..."',
}  # fmt: skip


class SyntaxProblem(Exception):
    def __init__(self, diag: Diagnostic):
        super().__init__(diag.summary)
        self.diag = diag


@dataclass(frozen=True)
class _Shift:
    """Maps positions in a parsed snippet back into the user's file."""

    filename: str
    line_offset: int = 0
    first_line_col_offset: int = 0

    def pos(self, line: int, column: int) -> SourcePos:
        if line == 1:
            column += self.first_line_col_offset
        return SourcePos(self.filename, line + self.line_offset, max(column, 1))


_GRAMMAR_PATCHES = (
    # HCL allows strip markers on interpolations too ("a ${~ x ~} b"), not only on directives.
    ("interpolation: INTERP_START expression RBRACE",
     "interpolation: INTERP_START STRIP_MARKER? expression STRIP_MARKER? RBRACE"),
    # core::NAME and provider::NS::NAME function names.
    ("function_call : identifier (COLONS identifier COLONS identifier)? LPAR",
     "function_call : identifier (COLONS identifier)* LPAR"),
    # Unary operators nest: !!x, - -1.
    ("!unary_op : (MINUS | NOT) expr_term", "!unary_op : (MINUS | NOT) (expr_term | unary_op)"),
)  # fmt: skip


@functools.cache
def _parser() -> Lark:
    """python-hcl2's grammar and post-lexer, without Lark's position propagation onto every tree
    node: that bookkeeping is a third of the parse time, and tokens keep their line and column,
    which is all ``_Converter.tpos`` needs. Otherwise the same as ``hcl2.parses_to_tree``, with the
    grammar corrected where it departs from HCL's (``_GRAMMAR_PATCHES``). The grammar cache
    (``cache=True``) lives in the temp directory, keyed by grammar and options."""
    import hcl2.parser as hcl2_parser
    from hcl2.postlexer import PostLexer

    grammar = (Path(hcl2_parser.__file__).parent / "hcl2.lark").read_text()
    for old, new in _GRAMMAR_PATCHES:
        if old not in grammar:  # pragma: no cover - a python-hcl2 upgrade changed the rule
            raise RuntimeError(f"python-hcl2's grammar no longer has {old!r}")
        grammar = grammar.replace(old, new)
    return Lark(grammar, parser="lalr", cache=True, propagate_positions=False, postlex=PostLexer())


def _lark_parse(text: str) -> Tree:
    _import_lark()
    with gc_paused():
        # A trailing newline, as hcl2.parses_to_tree adds: the grammar has no end-of-file token.
        return _parser().parse(text + "\n")


def parse(text: str, filename: str) -> tuple[ast.Body | None, list[Diagnostic]]:
    """Parse one file's text. Syntax problems come back as diagnostics, never as exceptions."""
    with gc_paused():
        return _parse(text, filename)


def _parse(text: str, filename: str) -> tuple[ast.Body | None, list[Diagnostic]]:
    bad = _private_use(text, _Shift(filename))
    if bad:
        return None, [bad]
    shift = _Shift(filename)
    from imgb.reconciler.config import hcl_reader

    try:
        return hcl_reader.read(text + "\n", shift), []
    except (hcl_reader.Unsupported, SyntaxProblem, RecursionError):
        # The grammar decides: every syntax error, every rare construct, and the first problem
        # in the file when there are several.
        return _parse_lark(text, shift)


def _parse_lark(text: str, shift: _Shift) -> tuple[ast.Body | None, list[Diagnostic]]:
    filename = shift.filename
    try:
        tree = _lark_parse(text)
    except UnexpectedInput as e:
        return None, [_syntax_diag(e, shift, text)]
    except LarkError as e:  # pragma: no cover - other Lark failures still mean bad input
        return None, [error("Invalid syntax", f"The file could not be parsed: {e}.", SourcePos(filename, 1))]
    try:
        return _Converter(shift).body(tree.children[0]), []
    except SyntaxProblem as p:
        return None, [p.diag]
    except RecursionError:
        return None, [
            error(
                "Expression too deeply nested",
                "This file nests expressions too deeply to evaluate. Simplify the expression.",
                SourcePos(filename, 1),
            )
        ]


def parse_expression(text: str, filename: str, line: int = 1, column: int = 1) -> ast.Expr:
    """Parse a lone expression (a ``--var`` value, an interpolation); raises ``SyntaxProblem``."""
    shift = _Shift(filename, line - 1, column - 6)
    bad = _private_use(text, shift)
    if bad:
        raise SyntaxProblem(bad)
    from imgb.reconciler.config import hcl_reader

    try:
        body = hcl_reader.read("_ = (" + text + ")\n\n", shift)
    except (hcl_reader.Unsupported, SyntaxProblem, RecursionError):
        body = _expression_lark(text, shift)
    attrs = body.attributes
    if len(attrs) != 1 or body.blocks:
        raise SyntaxProblem(
            error("Invalid expression", "Expected a single expression.", shift.pos(1, 6))
        )
    return attrs[0].expr


def _expression_lark(text: str, shift: _Shift) -> ast.Body:
    try:
        tree = _lark_parse("_ = (" + text + ")\n")
    except UnexpectedInput as e:
        raise SyntaxProblem(_syntax_diag(e, shift, text, snippet=True)) from None
    except LarkError as e:  # pragma: no cover
        raise SyntaxProblem(error("Invalid expression", f"{e}.", shift.pos(1, 6))) from None
    return _Converter(shift).body(tree.children[0])


def parse_template(text: str, filename: str, line: int = 1) -> ast.TemplateExpr:
    """A whole text as a template (``templatefile``, ``templatestring``); raises ``SyntaxProblem``."""
    bad = _private_use(text, _Shift(filename, line - 1))
    if bad:
        raise SyntaxProblem(bad)
    start = SourcePos(filename, line)
    flat = _scan_template(text, filename, line, 0)
    return _template(start, flat, "heredoc", line)


def _private_use(text: str, shift: _Shift) -> Diagnostic | None:
    for ch in (OPEN, CLOSE):
        i = text.find(ch)
        if i >= 0:
            line = text.count("\n", 0, i) + 1
            col = i - (text.rfind("\n", 0, i) + 1) + 1
            return error(
                "Invalid character",
                f"The file contains the private-use character U+{ord(ch):04X}, which imgb reserves for "
                "values known only after apply. Remove it.",
                shift.pos(line, col),
            )
    return None


def _describe_found(tok: Token | None) -> str:
    if tok is None or tok.type == "$END":
        return "the end of the file"
    value = str(tok).lstrip(" \t")
    if not value or value[0] == "\n" or tok.type == "NL_OR_COMMENT":
        return "the end of the line"
    first = value.splitlines()[0] if value.strip() else value
    first = first[:30]
    return f"'{first}'" if '"' in first else f'"{first}"'


def _syntax_diag(e: UnexpectedInput, shift: _Shift, text: str, snippet: bool = False) -> Diagnostic:
    line = getattr(e, "line", 1) or 1
    column = getattr(e, "column", 1) or 1
    if isinstance(e, UnexpectedToken):
        expected = set(e.expected) | set(getattr(e, "considered_rules", None) or ())
        tok = e.token
        if tok.type == "$END":
            # Lark reports the end past the newline we appended: point at the last line instead.
            line = min(line, max(1, len(text.rstrip().splitlines())))
    elif isinstance(e, UnexpectedEOF):
        expected, tok = set(e.expected), None
    elif isinstance(e, UnexpectedCharacters):
        expected, tok = set(e.allowed or ()), None
        at = e.pos_in_stream if isinstance(e.pos_in_stream, int) else -1
        ch = text[at] if not snippet and 0 <= at < len(text) else ""
        return error(
            "Invalid character",
            f'The character "{ch or "?"}" is not valid here. Check for a missing quote or a stray symbol.',
            shift.pos(line, column),
        )
    else:  # pragma: no cover
        expected, tok = set(), None
    found = _describe_found(tok)
    pos = shift.pos(line, column)
    raw = str(tok) if tok is not None else ""
    if raw.lstrip().startswith(("<<", "<<-")) and tok is not None and tok.type == "STRING_CHARS":
        return error(
            "Unterminated heredoc",
            "The heredoc has no closing marker line. End it with a line holding only its marker "
            "(for example EOT).",
            pos,
        )
    if "STRING_CHARS" in expected and "DBLQUOTE" in expected and found == "the end of the file":
        return error(
            "Unterminated string",
            "A quoted string is not closed. Add the closing double quote on the same line.",
            pos,
        )
    if "LBRACE" in expected and expected & {"FOR_EACH", "ENDIF", "IN"}:
        return error(
            "Invalid block definition",
            f'Expected a block label (a quoted string) or "{{" to open the block, found {found}. '
            "An attribute is written name = value; a block is type \"label\" { ... }.",
            pos,
        )
    if expected & _EXPR_START and len(expected & _EXPR_START) >= 5:
        return error(
            "Invalid expression",
            f"Expected an attribute value (an expression such as a string, number, list or reference), "
            f"found {found}.",
            pos,
        )
    if expected == {"RBRACE"} and found == "the end of the file":
        opened = _unclosed_brace_line(text)
        return error(
            "Unclosed configuration block",
            'There is no closing "}" for this block before the end of the file. Add it where the block '
            "ends; an extra or missing brace elsewhere in the file can cause this too.",
            shift.pos(opened, 1) if opened is not None else pos,
        )
    if "RSQB" in expected and found == "the end of the file":
        return error("Unclosed list", 'A list is missing its closing "]".', pos)
    if expected == {"$END"} or (expected <= {"NAME", "NL_OR_COMMENT"} and expected):
        return error(
            "Argument or block definition required",
            f"Expected an attribute (name = value) or a block (type \"label\" {{ ... }}), found {found}.",
            pos,
        )
    if "LBRACE" in expected and ("EQ" in expected or "NAME" in expected or expected == {"LBRACE"}):
        return error(
            "Invalid block definition",
            f'Expected "=" after an attribute name, or a block\'s labels followed by "{{", found {found}.',
            pos,
        )
    if expected == {"RBRACE"}:
        return error("Invalid syntax", f'Expected "}}" to close the interpolation or object, found {found}.', pos)
    words = sorted({_TOKEN_WORDS.get(t, t.lower()) for t in expected if not t.startswith("__")})
    want = ", ".join(words[:6]) if words else "something else"
    return error("Invalid syntax", f"Expected {want}; found {found}.", pos)


# --- the tree walk -------------------------------------------------------------------------------

_SKIP = {"new_line_or_comment"}


def _unclosed_brace_line(text: str) -> int | None:
    """The line of the innermost "{" still open at the end of ``text`` (HCL reports an unclosed block
    where it opens), skipping strings, interpolations, comments and heredocs."""
    opened: list[int | None] = []  # a block's line, or None for an interpolation inside a string
    in_string = False
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
            elif text.startswith(("$${", "%%{"), i):
                i += 2
            elif text.startswith(("${", "%{"), i):
                opened.append(None)
                in_string = False
                i += 1
        elif c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
            continue
        elif c == '"':
            in_string = True
        elif text.startswith("<<", i) and (m := _HEREDOC_START.match(text, i)):
            close = re.compile(rf"^[ \t]*{re.escape(m.group(1))}[ \t]*$", re.MULTILINE).search(text, m.end())
            end = n if close is None else close.end()
            line += text.count("\n", i, end)
            i = end
            continue
        elif c == "{":
            opened.append(line)
        elif c == "}" and opened:
            in_string = opened.pop() is None  # the end of an interpolation returns to its string
        i += 1
    blocks = [x for x in opened if x is not None]
    return blocks[-1] if blocks else None


_HEREDOC_START = re.compile(r"<<-?([A-Za-z_][\w-]*)[ \t]*\r?\n")


def _trees(children: list[Tree | Token]) -> list[Tree]:
    return [c for c in children if isinstance(c, Tree) and c.data not in _SKIP]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)


class _BadEscape(ValueError):
    pass


def _unescape(s: str) -> str:
    """A quoted string's escapes (``\\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN``); others are errors, as in HCL."""
    if "\\" not in s:
        return s

    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "uU" and len(esc) > 1:
            code = int(esc[1:], 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _BadEscape(f'"\\{esc}" is not a valid Unicode character')
            return chr(code)
        if esc in _ESCAPES:
            return _ESCAPES[esc]
        if esc in "uU":
            raise _BadEscape(f'"\\{esc}" must be followed by {4 if esc == "u" else 8} hexadecimal digits')
        raise _BadEscape(f'The symbol "{esc}" is not a valid escape sequence selector')

    return _ESCAPE_RE.sub(one, s)


def _number(text: str) -> Any:
    """A numeral as cty reads it (512-bit binary floating point). The grammar folds a leading
    minus into the literal; HCL negates the number instead, which keeps -0 negative."""
    if text.startswith("-"):
        n = numbers.parse(text[1:])
        assert n is not None
        return numbers.negate(n)
    n = numbers.parse(text)
    assert n is not None
    return n


class _Converter:
    def __init__(self, shift: _Shift):
        self.shift = shift

    def tpos(self, node: Tree | Token) -> SourcePos:
        if isinstance(node, Token):
            return self.shift.pos(node.line or 1, node.column or 1)
        if not node.meta.empty:
            return self.shift.pos(node.meta.line, node.meta.column)
        for child in node.children:
            if isinstance(child, Tree | Token):
                return self.tpos(child)
        return self.shift.pos(1, 1)

    def problem(self, summary: str, detail: str, node: Tree | Token) -> SyntaxProblem:
        return SyntaxProblem(error(summary, detail, self.tpos(node)))

    # structure
    def body(self, tree: Tree) -> ast.Body:
        items: list[ast.Attribute | ast.Block] = []
        for child in _trees(tree.children):
            if child.data == "attribute":
                items.append(self.attribute(child))
            elif child.data == "block":
                items.append(self.block(child))
        return ast.Body(self.tpos(tree), tuple(items))

    def name_of(self, tree: Tree) -> str:
        tok = tree.children[0]
        return str(tok)

    def attribute(self, tree: Tree) -> ast.Attribute:
        name_tree, expr_tree = _trees(tree.children)
        return ast.Attribute(self.tpos(tree), self.name_of(name_tree), self.expr(expr_tree))

    def block(self, tree: Tree) -> ast.Block:
        parts = _trees(tree.children)
        type_tree, *label_trees, body_tree = parts
        labels: list[str] = []
        label_pos: list[SourcePos] = []
        for lt in label_trees:
            if lt.data == "string":
                text = self.plain_string(lt)
                if text is None:
                    raise self.problem(
                        "Invalid block label",
                        "Block labels must be plain quoted strings without interpolation.",
                        lt,
                    )
                labels.append(text)
            else:
                labels.append(self.name_of(lt))
            label_pos.append(self.tpos(lt))
        return ast.Block(
            self.tpos(tree), self.name_of(type_tree), tuple(labels), self.body(body_tree), tuple(label_pos)
        )

    def plain_string(self, tree: Tree) -> str | None:
        expr = self.string(tree)
        if all(isinstance(p, ast.LiteralValue) for p in expr.parts):
            return "".join(str(p.value) for p in expr.parts if isinstance(p, ast.LiteralValue))
        return None

    # expressions
    def expr(self, tree: Tree | Token) -> ast.Expr:
        if isinstance(tree, Token):  # pragma: no cover - the grammar wraps every value in a rule
            raise self.problem("Invalid expression", "Expected an expression.", tree)
        method: Callable[[Tree], ast.Expr] | None = getattr(self, "x_" + tree.data, None)
        if method is None:
            raise self.problem("Invalid expression", f"Unexpected {tree.data.replace('_', ' ')}.", tree)
        return method(tree)

    def x_expr_term(self, tree: Tree) -> ast.Expr:
        inner = _trees(tree.children)
        return self.expr(inner[0])

    def x_identifier(self, tree: Tree) -> ast.Expr:
        return ast.Variable(self.tpos(tree), str(tree.children[0]))

    def x_keyword(self, tree: Tree) -> ast.Expr:
        return ast.Variable(self.tpos(tree), str(tree.children[0]))

    def x_literal_value(self, tree: Tree) -> ast.Expr:
        word = str(tree.children[0])
        value = {"true": True, "false": False, "null": None}[word]
        return ast.LiteralValue(self.tpos(tree), value)

    def x_int_lit(self, tree: Tree) -> ast.Expr:
        return ast.LiteralValue(self.tpos(tree), _number(str(tree.children[0])))

    def x_float_lit(self, tree: Tree) -> ast.Expr:
        return ast.LiteralValue(self.tpos(tree), _number(str(tree.children[0])))

    def x_template_string(self, tree: Tree) -> ast.Expr:
        raw = str(tree.children[0])[2:-2]
        return ast.TemplateExpr(self.tpos(tree), (ast.LiteralValue(self.tpos(tree), _unescape(raw)),))

    def x_string(self, tree: Tree) -> ast.Expr:
        return self.string(tree)

    def string(self, tree: Tree) -> ast.TemplateExpr:
        flat: list[_Item] = []
        for part in tree.children:
            if not isinstance(part, Tree):
                continue  # the quotes
            (child,) = part.children
            if isinstance(child, Token):
                text = str(child)
                if child.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    text = text[1:]
                elif "\n" in text:
                    raise self.problem(
                        "Invalid multi-line string",
                        "Quoted strings may not be split over multiple lines. To produce a multi-line string, "
                        "either use the \\n escape to represent a newline character or use the heredoc "
                        "multi-line template syntax (<<EOT).",
                        child,
                    )
                try:
                    text = _unescape(text)
                except _BadEscape as exc:
                    raise self.problem("Invalid escape sequence", f"{exc}.", child) from None
                if flat and flat[-1].kind == "lit":  # one literal token between sequences, as HCL's scanner
                    flat[-1].text += text
                else:
                    flat.append(_Item("lit", self.tpos(child), text=text))
            else:
                flat.append(self.template_item(child))
        return _template(self.tpos(tree), flat, "quoted")

    def template_item(self, tree: Tree) -> _Item:
        kids = tree.children
        strip_left = len(kids) > 1 and isinstance(kids[1], Token) and kids[1].type == "STRIP_MARKER"
        strip_right = len(kids) > 2 and isinstance(kids[-2], Token) and kids[-2].type == "STRIP_MARKER"
        pos = self.tpos(tree)
        exprs = [t for t in _trees(kids) if t.data != "identifier"]
        if tree.data == "interpolation":
            return _Item("interp", pos, expr=self.expr(exprs[0]), strip_left=strip_left, strip_right=strip_right)
        if tree.data == "template_if_start":
            return _Item("if", pos, expr=self.expr(exprs[0]), strip_left=strip_left, strip_right=strip_right)
        if tree.data == "template_for_start":
            names = [self.name_of(t) for t in _trees(kids) if t.data == "identifier"]
            return _Item(
                "for", pos, expr=self.expr(exprs[0]), names=tuple(names), strip_left=strip_left, strip_right=strip_right
            )
        kind = {"template_else": "else", "template_endif": "endif", "template_endfor": "endfor"}[tree.data]
        return _Item(kind, pos, strip_left=strip_left, strip_right=strip_right)

    def x_heredoc_template(self, tree: Tree) -> ast.Expr:
        return self.heredoc(tree, flush=False)

    def x_heredoc_template_trim(self, tree: Tree) -> ast.Expr:
        return self.heredoc(tree, flush=True)

    def heredoc(self, tree: Tree, flush: bool) -> ast.Expr:
        tok = tree.children[0]
        assert isinstance(tok, Token)
        return _heredoc(str(tok), self.tpos(tok), flush, self.shift)

    def x_function_call(self, tree: Tree) -> ast.Expr:
        names = [self.name_of(t) for t in tree.children if isinstance(t, Tree) and t.data == "identifier"]
        name = "::".join(names)
        args: list[ast.Expr] = []
        expand = False
        for child in tree.children:
            if isinstance(child, Tree) and child.data == "arguments":
                args = [self.expr(t) for t in _trees(child.children)]
                expand = any(isinstance(t, Token) and t.type == "ELLIPSIS" for t in child.children)
        return ast.FunctionCall(self.tpos(tree), name, tuple(args), expand)

    def x_index_expr_term(self, tree: Tree) -> ast.Expr:
        obj_tree, index_tree = _trees(tree.children)
        return self.apply_step(self.expr(obj_tree), index_tree)

    def x_get_attr_expr_term(self, tree: Tree) -> ast.Expr:
        obj_tree, step = _trees(tree.children)
        return self.apply_step(self.expr(obj_tree), step)

    def apply_step(self, obj: ast.Expr, step: Tree) -> ast.Expr:
        pos = self.tpos(step)
        if step.data == "get_attr":
            (name_tree,) = _trees(step.children)
            return ast.GetAttr(pos, obj, self.name_of(name_tree))
        if step.data == "short_index":
            tok = [c for c in step.children if isinstance(c, Token) and c.type == "INT_LITERAL"][0]
            return ast.Index(pos, obj, ast.LiteralValue(pos, int(str(tok))))
        if step.data == "braces_index":
            (key,) = _trees(step.children)
            return ast.Index(pos, obj, self.expr(key))
        raise self.problem("Invalid expression", f"Unexpected {step.data}.", step)

    def splat(self, tree: Tree) -> ast.Expr:
        src_tree, splat_tree = _trees(tree.children)
        pos = self.tpos(splat_tree)
        each: ast.Expr = ast.SplatItem(pos)
        for step in _trees(splat_tree.children):
            each = self.apply_step(each, step)
        return ast.Splat(pos, self.expr(src_tree), each)

    def x_attr_splat_expr_term(self, tree: Tree) -> ast.Expr:
        return self.splat(tree)

    def x_full_splat_expr_term(self, tree: Tree) -> ast.Expr:
        return self.splat(tree)

    def x_conditional(self, tree: Tree) -> ast.Expr:
        cond, true, false = (self.expr(t) for t in _trees(tree.children))
        return ast.Conditional(self.tpos(tree), cond, true, false)

    def x_binary_op(self, tree: Tree) -> ast.Expr:
        left_tree, term = _trees(tree.children)
        op_tree, right_tree = _trees(term.children)
        op = str(op_tree.children[0]).strip()
        return ast.BinaryOp(self.tpos(op_tree), op, self.expr(left_tree), self.expr(right_tree))

    def x_unary_op(self, tree: Tree) -> ast.Expr:
        op = str(tree.children[0]).strip()
        (operand,) = _trees(tree.children)
        return ast.UnaryOp(self.tpos(tree), op, self.expr(operand))

    def x_tuple(self, tree: Tree) -> ast.Expr:
        return ast.TupleExpr(self.tpos(tree), tuple(self.expr(t) for t in _trees(tree.children)))

    def x_object(self, tree: Tree) -> ast.Expr:
        items: list[ast.ObjectItem] = []
        for n, elem in enumerate(_trees(tree.children)):
            key_tree, value_tree = _trees(elem.children)
            first = _trees(key_tree.children)[0]
            if n == 0 and first.data == "keyword" and self.name_of(first) == "for":
                raise self.problem(
                    "Invalid 'for' expression",
                    "For expression requires variable name after 'for'. To use \"for\" as an object key, "
                    'quote it: "for" = ...',
                    first,
                )
            items.append(ast.ObjectItem(self.tpos(elem), self.object_key(key_tree), self.expr(value_tree)))
        return ast.ObjectExpr(self.tpos(tree), tuple(items))

    def object_key(self, tree: Tree) -> ast.Expr:
        (inner,) = _trees(tree.children)
        if inner.data == "keyword":
            return ast.LiteralValue(self.tpos(inner), self.name_of(inner))
        if inner.data == "expr_term":
            sub = _trees(inner.children)
            parenthesised = any(isinstance(c, Token) and c.type == "LPAR" for c in inner.children)
            if len(sub) == 1 and sub[0].data == "identifier" and not parenthesised:
                return ast.LiteralValue(self.tpos(sub[0]), self.name_of(sub[0]))
            if len(sub) == 1 and sub[0].data == "literal_value" and not parenthesised:
                return ast.LiteralValue(self.tpos(sub[0]), str(sub[0].children[0]))  # {null = 1}: "null"
        return self.expr(inner)

    def for_parts(self, tree: Tree) -> tuple[str | None, str, ast.Expr, ast.Expr | None, list[Tree]]:
        intro = next(t for t in _trees(tree.children) if t.data == "for_intro")
        names = [self.name_of(t) for t in _trees(intro.children) if t.data == "identifier"]
        coll_tree = [t for t in _trees(intro.children) if t.data != "identifier"][0]
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        cond_tree = next((t for t in _trees(tree.children) if t.data == "for_cond"), None)
        cond = self.expr(_trees(cond_tree.children)[0]) if cond_tree is not None else None
        rest = [t for t in _trees(tree.children) if t.data not in ("for_intro", "for_cond")]
        return key_var, value_var, self.expr(coll_tree), cond, rest

    def x_for_tuple_expr(self, tree: Tree) -> ast.Expr:
        key_var, value_var, coll, cond, rest = self.for_parts(tree)
        return ast.ForExpr(self.tpos(tree), key_var, value_var, coll, None, self.expr(rest[0]), cond)

    def x_for_object_expr(self, tree: Tree) -> ast.Expr:
        key_var, value_var, coll, cond, rest = self.for_parts(tree)
        group = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in tree.children)
        return ast.ForExpr(
            self.tpos(tree), key_var, value_var, coll, self.expr(rest[0]), self.expr(rest[1]), cond, group
        )


def _heredoc(raw: str, pos: SourcePos, flush: bool, shift: _Shift) -> ast.TemplateExpr:
    """A heredoc token (``<<EOT`` through its marker line) as a template; ``pos`` is the ``<<``."""
    body_lines = raw.split("\n")[1:-2]  # drop "<<EOT", the marker line and the final ""
    body = "".join(ln.rstrip("\r") + "\n" for ln in body_lines)
    first = pos.line + 1
    flat = _scan_template(body, shift.filename, first, 0)
    return _template(pos, flat, "heredoc", first, flush=flush)


# --- templates: flat items to nested parts --------------------------------------------------------
#
# As HCL's parser: literal text, interpolations and directives come as a flat list of tokens (a
# heredoc's literal text ends a token at every line end); strip markers (~) trim the white space of
# the literal token next to them only; a flush heredoc (<<-) then removes the indentation common
# to the tokens that start a line; then directives nest.



@dataclass
class _Item:
    """One token of a template's flat list: literal text, an interpolation or a directive."""

    kind: str
    pos: SourcePos
    text: str = ""
    expr: ast.Expr | None = None
    names: tuple[str, ...] = ()
    strip_left: bool = False
    strip_right: bool = False


def _template(
    pos: SourcePos, flat: list[_Item], kind: TypingLiteral["quoted", "heredoc"], body_line: int = 0, flush: bool = False
) -> ast.TemplateExpr:
    _apply_strip_markers(flat)
    if flush:
        _flush_heredoc(flat)
    wrap = len(flat) == 1 and flat[0].kind == "interp"
    return ast.TemplateExpr(pos, _assemble(flat), kind, body_line, wrap)


def _apply_strip_markers(flat: list[_Item]) -> None:
    for i, item in enumerate(flat):
        if item.strip_left and i > 0 and flat[i - 1].kind == "lit":
            flat[i - 1].text = flat[i - 1].text.rstrip(GO_SPACE)
        if item.strip_right and i + 1 < len(flat) and flat[i + 1].kind == "lit":
            flat[i + 1].text = flat[i + 1].text.lstrip(GO_SPACE)


def _flush_heredoc(flat: list[_Item]) -> None:
    """``<<-``: remove the smallest indentation of the tokens that start a line from each of them.
    A line of white space only does not count; a line starting with a sequence counts as 0; a token
    whose line end a strip marker removed joins the next line to its own (HCL's rules)."""
    least: int | None = None
    adjust: list[_Item] = []
    newline = True
    for item in flat:
        if newline:
            newline = False
            if item.kind == "lit":
                rest = item.text.lstrip(GO_SPACE)
                if not rest and item.text.endswith("\n"):
                    pass  # a blank line
                else:
                    spaces = len(item.text) - len(rest)
                    adjust.append(item)
                    least = spaces if least is None else min(least, spaces)
            else:
                least = 0
        if item.kind == "lit" and item.text.endswith("\n"):
            newline = True
    if least:
        for item in adjust:
            item.text = item.text[least:]


def _assemble(flat: list[_Item]) -> tuple[ast.Expr, ...]:
    # A stack of open directives: (item, parts of the then/for body, parts of else or None).
    stack: list[tuple[_Item, list[_Part], list[_Part] | None]] = []
    top: list[_Part] = []

    def current() -> list[_Part]:
        if not stack:
            return top
        _, body, other = stack[-1]
        return other if other is not None else body

    for item in flat:
        if item.kind == "lit":
            if item.text:
                cur = current()
                last = cur[-1] if cur else None
                if isinstance(last, _LiteralRun):
                    last.pieces.append(item.text)
                elif isinstance(last, ast.LiteralValue) and isinstance(last.value, str):
                    cur[-1] = _LiteralRun(last.pos, [last.value, item.text])
                else:
                    cur.append(ast.LiteralValue(item.pos, nfc(item.text)))
        elif item.kind == "interp":
            assert item.expr is not None
            current().append(item.expr)
        elif item.kind in ("if", "for"):
            stack.append((item, [], None))
        elif item.kind == "else":
            if not stack or stack[-1][0].kind != "if" or stack[-1][2] is not None:
                raise SyntaxProblem(error("Unexpected else directive", 'A "%{ else }" has no matching "%{ if }".', item.pos))
            opened, body, _ = stack.pop()
            stack.append((opened, body, []))
        elif item.kind in ("endif", "endfor"):
            want = "if" if item.kind == "endif" else "for"
            if not stack or stack[-1][0].kind != want:
                raise SyntaxProblem(
                    error(
                        f"Unexpected {item.kind} directive",
                        f'A "%{{ {item.kind} }}" has no matching "%{{ {want} }}".',
                        item.pos,
                    )
                )
            opened, body, other = stack.pop()
            assert opened.expr is not None
            node: ast.Expr
            if want == "if":
                node = ast.TemplateIf(opened.pos, opened.expr, _sealed(body), _sealed(other or []))
            else:
                names = opened.names
                key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
                node = ast.TemplateFor(opened.pos, key_var, value_var, opened.expr, _sealed(body))
            current().append(node)
    if stack:
        opened = stack[-1][0]
        end = "endif" if opened.kind == "if" else "endfor"
        raise SyntaxProblem(
            error(
                f"Unclosed {opened.kind} directive",
                f'The "%{{ {opened.kind} }}" directive has no "%{{ {end} }}". Add one.',
                opened.pos,
            )
        )
    return _sealed(top)


@dataclass
class _LiteralRun:
    """Consecutive literal text being assembled: joined once, as adding each line to a string
    made a long heredoc quadratic."""

    pos: SourcePos
    pieces: list[str]


_Part = ast.Expr | _LiteralRun


def _sealed(parts: list[_Part]) -> tuple[ast.Expr, ...]:
    return tuple(ast.LiteralValue(p.pos, nfc("".join(p.pieces))) if isinstance(p, _LiteralRun) else p for p in parts)


def _skip_string(text: str, i: int) -> int:
    """``text[i]`` is an opening quote; return the index after the closing one."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if text.startswith("${", i):
            i = _matching_brace(text, i + 2) + 1
            continue
        i += 1
    return i


def _matching_brace(text: str, i: int) -> int:
    """The index of the ``}`` closing an interpolation whose content starts at ``i``; -1 if none."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


_NEWLINE_RE = re.compile("\n")
_TEMPLATE_START_RE = re.compile(r"[$%]{|\$\${|%%{")
_FOR_RE = re.compile(r"^for\s+([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?in\s+(.*)$", re.S)


def _scan_template(text: str, filename: str, first_line: int, col_offset: int) -> list[_Item]:
    """Split a heredoc body or template file into HCL's tokens: literal text (ending a token after
    every newline), interpolations and directives. ``$${`` and ``%%{`` are literal ``${`` and ``%{``."""

    # Line starts, found once: counting newlines from the start at every token made a long
    # heredoc quadratic (a 10 MB one never finished).
    line_starts = [0, *(m.end() for m in _NEWLINE_RE.finditer(text))]

    def pos_at(i: int) -> SourcePos:
        k = bisect.bisect_right(line_starts, i) - 1
        return SourcePos(filename, first_line + k, i - line_starts[k] + 1 + col_offset)

    flat: list[_Item] = []
    lit: list[str] = []
    lit_start = 0
    i = 0
    n = len(text)
    next_start = -1

    def flush() -> None:
        if lit:
            flat.append(_Item("lit", pos_at(lit_start), text="".join(lit)))
            lit.clear()

    while i < n:
        if text.startswith("$${", i) or text.startswith("%%{", i):
            if not lit:
                lit_start = i
            lit.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            flush()
            end = _matching_brace(text, i + 2)
            if end < 0:
                raise SyntaxProblem(
                    error(
                        "Unclosed template sequence",
                        f'The "{text[i:i + 2]}" sequence has no closing "}}". Close it, or write '
                        f'"{text[i]}{text[i:i + 2]}" for a literal "{text[i:i + 2]}".',
                        pos_at(i),
                    )
                )
            inner = text[i + 2 : end]
            strip_left = inner.startswith("~")
            strip_right = inner.endswith("~") and len(inner) > (1 if strip_left else 0)
            inner = inner[1 if strip_left else 0 : len(inner) - (1 if strip_right else 0)]
            offset = i + 2 + (1 if strip_left else 0)
            ipos = pos_at(offset)
            if text[i] == "$":
                expr = _simple_reference(inner, filename, ipos) or parse_expression(
                    inner, filename, ipos.line, ipos.column
                )
                flat.append(_Item("interp", pos_at(i), expr=expr, strip_left=strip_left, strip_right=strip_right))
            else:
                flat.append(_directive(inner, filename, ipos, pos_at(i), strip_left, strip_right))
            i = end + 1
            continue
        if not lit:
            lit_start = i
        if next_start < i:  # found once per sequence, not once per line (long heredocs)
            m = _TEMPLATE_START_RE.search(text, i)  # "$${" and "%%{" start with "$" / "%" too
            next_start = m.start() if m else n
        nxt = next_start
        newline = text.find("\n", i, nxt)
        if newline >= 0:
            lit.append(text[i : newline + 1])
            i = newline + 1
            flush()  # a literal token ends at each line end
            continue
        if nxt == i:
            nxt = i + 1
        lit.append(text[i:nxt])
        i = nxt
    flush()
    return flat


_SIMPLE_REF_RE = re.compile(r"\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[0-9]+\])*)\s*\Z")
_KEYWORDS = {"true", "false", "null", "for", "in", "if"}


def _simple_reference(inner: str, filename: str, ipos: SourcePos) -> ast.Expr | None:
    """``var.x`` / ``component.y.id`` / ``local.z[0]`` without a Lark parse: most interpolations in
    heredocs are plain references, and parsing each on its own costs a millisecond."""
    m = _SIMPLE_REF_RE.match(inner)
    if m is None:
        return None
    text = m.group(1)
    col = ipos.column + m.start(1)
    steps = re.findall(r"\.[A-Za-z_][\w-]*|\[[0-9]+\]|^[A-Za-z_][\w-]*", text)
    if steps[0] in _KEYWORDS:
        return None
    expr: ast.Expr = ast.Variable(SourcePos(filename, ipos.line, col), steps[0])
    offset = len(steps[0])
    for step in steps[1:]:
        pos = SourcePos(filename, ipos.line, col + offset)
        if step.startswith("."):
            expr = ast.GetAttr(pos, expr, step[1:])
        else:
            key_pos = SourcePos(filename, ipos.line, col + offset + 1)
            expr = ast.Index(pos, expr, ast.LiteralValue(key_pos, int(step[1:-1])))
        offset += len(step)
    return expr


def _directive(
    inner: str, filename: str, ipos: SourcePos, pos: SourcePos, strip_left: bool, strip_right: bool
) -> _Item:
    words = inner.strip()
    lead = len(inner) - len(inner.lstrip())
    if words in ("else", "endif", "endfor"):
        return _Item(words, pos, strip_left=strip_left, strip_right=strip_right)
    if words.startswith(("if ", "if\t", "if\n")):
        cond_text = words[2:]
        expr = parse_expression(cond_text, filename, ipos.line, ipos.column + lead + 2)
        return _Item("if", pos, expr=expr, strip_left=strip_left, strip_right=strip_right)
    m = _FOR_RE.match(words)
    if m:
        names = tuple(x for x in (m.group(1), m.group(2)) if x)
        expr = parse_expression(m.group(3), filename, ipos.line, ipos.column + lead + m.start(3))
        return _Item("for", pos, expr=expr, names=names, strip_left=strip_left, strip_right=strip_right)
    raise SyntaxProblem(
        error(
            "Invalid template directive",
            f'"%{{{inner}}}" is not a template directive. Use %{{ if COND }}, %{{ else }}, %{{ endif }}, '
            "%{ for X in LIST }, %{ endfor }; write %%{ for a literal \"%{\".",
            pos,
        )
    )
