"""A hand-written reader of HCL native syntax: the AST ``hcl``'s Lark path builds, ten times faster.

python-hcl2's grammar, run by Lark in ``hcl``, stays the reference. This reader handles what
configurations are made of and raises ``Unsupported`` at everything else: every syntax error, and
every corner where the grammar's contextual lexer or its LALR choices decide in ways that are easy
to get subtly wrong (keywords used as names, a ``-`` followed by a digit after an operand, a line
that starts with an operator, elements without a separator, template directives in quoted strings,
multi-line quoted strings). ``hcl`` then parses the file with Lark. So a file the reader accepts has
exactly the AST the Lark path gives it (tests/config/test_hcl_reader.py checks that differentially,
on generated and on every shipped configuration), and every diagnostic still comes from Lark.

Lexing follows the grammar's terminals (the same regular expressions, checked by a test); literal
text, heredocs and template assembly go through ``hcl``'s own functions, so both paths share them.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from imgb.diagnostics import SourcePos
from imgb.reconciler.config import ast
from imgb.reconciler.config.hcl import _BadEscape, _heredoc, _Item, _number, _Shift, _template, _unescape
from imgb.reconciler.config.values import nfc


class Unsupported(Exception):
    """The reader leaves this input to the Lark parser."""


# The grammar's terminals (hcl2.lark), as Lark compiles them; tests/config/test_hcl_reader.py
# compares these with the compiled grammar.
NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
INT_LITERAL = re.compile(r"(?:\-[0-9])?(?:[0-9])+")
FLOAT_LITERAL = re.compile(
    r"(?:(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)\.(?:[0-9])+(?:(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)?"
    r"|(?:(?:\-[0-9])+|(?:\-[0-9])?(?:[0-9])+)(?:e|E)(?:(?:\+|\-))?(?:[0-9])+)"
)
STRING_CHARS = re.compile(
    r'(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+'
)
ESCAPED_INTERPOLATION = re.compile(r"\$\$\{[^}]*\}")
ESCAPED_DIRECTIVE = re.compile(r"%%\{[^}]*\}")
HEREDOC_TEMPLATE = re.compile("<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\\s*(?P=heredoc)\r?\n")
HEREDOC_TEMPLATE_TRIM = re.compile(
    "<<-(?P<heredoc_trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\\s*(?P=heredoc_trim)\r?\n"
)
NL_OR_COMMENT = re.compile("(?:\\/\\*(.|\n)*?(\\*\\/)|\\/\\/.*\n|#.*\n|\n[ \t]*)")
IGNORE = re.compile("[ \t\r]+")

_WS = re.compile("[ \t\r]*")  # IGNORE, or nothing
_PLAIN_STRING = re.compile(r'"([^"\\$%\n]*)"')
_ONE_LABEL_HEAD = re.compile(r'"([^"\\$%\n]*)"[ \t]*\{')
"""A block's one plain label and its opening brace on the same line (``string``'s fast case)."""
_PLAIN_STRING_LINE = re.compile(r'[ \t]*"([^"\\$%\n]*)"[ \t\r]*(?=\n)')
"""An attribute's whole value when it is one plain string (``string``'s fast case) ending its line."""
_NAME_CHAR = re.compile(r"[a-zA-Z0-9_-]")
_DIGITS = "0123456789"
_KEYWORDS = frozenset({"if", "in", "for", "for_each", "else", "endif", "endfor"})
_LITERALS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
_PRECEDENCE = {"||": 0, "&&": 1, "==": 2, "!=": 2, "<": 3, ">": 3, "<=": 3, ">=": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}
_OP = re.compile(r"\|\||&&|==|!=|<=|>=|[<>+\-*/%]")
_OP_CHARS = frozenset("|&=!<>+-*/%")
_OP_START = frozenset("|&=!<>+-*/%?:")
"""After a newline, a line starting with one of these may continue an expression (python-hcl2's
post-lexer merges the newline into the operator) or be lexed by Lark in ways the reader does not
mirror: the Lark path decides."""


def read(text: str, shift: _Shift) -> ast.Body:
    """The body of ``text`` (a whole file, as ``hcl`` passes it to Lark: ending in a newline)."""
    return _Reader(text, shift).file()


class _Reader:
    def __init__(self, text: str, shift: _Shift):
        self.text = text
        self.n = len(text)
        self.i = 0
        self.shift = shift
        self.plain = shift.line_offset == 0 and shift.first_line_col_offset == 0
        self.filename = shift.filename
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    # --- positions and tokens ---------------------------------------------------------------------
    def pos(self, i: int) -> SourcePos:
        line = bisect_left(self.newlines, i)  # newlines before i
        column = i - (self.newlines[line - 1] + 1 if line else 0) + 1
        if self.plain:
            return SourcePos(self.filename, line + 1, column)
        return self.shift.pos(line + 1, column)

    def ws(self) -> None:
        i = self.i
        text = self.text
        if i < self.n and text[i] in " \t\r":
            if i + 1 < self.n and text[i + 1] not in " \t\r":
                self.i = i + 1  # one blank (most are): what _WS would take
            else:
                self.i = _WS.match(text, i).end()  # type: ignore[union-attr]

    def nls(self) -> bool:
        """Skip what the grammar's ``new_line_or_comment?`` takes; True when it took something."""
        took = False
        text = self.text
        while True:
            self.ws()
            if self.i >= self.n or text[self.i] not in "/#\n":
                break  # what every alternative of NL_OR_COMMENT starts with
            m = NL_OR_COMMENT.match(text, self.i)
            if m is None:
                break
            took = True
            self.i = m.end()
        if took and self.i < self.n and text[self.i] in _OP_START:
            raise Unsupported("an operator at the start of a line")
        return took

    def peek(self) -> str:
        return self.text[self.i] if self.i < self.n else ""

    def expect(self, ch: str) -> None:
        self.ws()
        if self.peek() != ch:
            raise Unsupported(f"expected {ch!r}")
        self.i += 1

    def at_eq(self) -> bool:
        """The EQ terminal is next: "=", not "==" or "=>"."""
        return self.text.startswith("=", self.i) and not self.text.startswith(("==", "=>"), self.i)

    def at_colon(self) -> bool:
        """The COLON terminal is next: ":", not "::"."""
        return self.text.startswith(":", self.i) and not self.text.startswith("::", self.i)

    def colon(self) -> None:
        """``new_line_or_comment? COLON new_line_or_comment?`` (a conditional, a for's intro)."""
        self.nls()
        self.ws()
        if not self.at_colon():
            raise Unsupported("expected ':'")
        self.i += 1
        self.nls()

    def word(self) -> str | None:
        """A NAME at the cursor (not consumed), or None."""
        m = NAME.match(self.text, self.i)
        return m.group() if m else None

    def keyword(self, word: str) -> bool:
        """Consume ``word`` when it stands alone at the cursor."""
        text, i = self.text, self.i
        if text.startswith(word, i) and not _NAME_CHAR.match(text, i + len(word)):
            self.i = i + len(word)
            return True
        return False

    # --- structure --------------------------------------------------------------------------------
    def file(self) -> ast.Body:
        body = self.body(top=True)
        if self.i != self.n:
            raise Unsupported("text after the body")
        return body

    def body(self, top: bool) -> ast.Body:
        self.ws()
        if not top and self.peek() == "}":
            pos = self.shift.pos(1, 1)  # an empty body has no token: Lark's converter says 1:1
        else:
            pos = self.pos(self.i)
        items: list[ast.Attribute | ast.Block] = []
        self.nls()
        text = self.text
        while True:
            self.ws()
            if self.i >= self.n:
                if not top:
                    raise Unsupported("unclosed block")
                break
            if text[self.i] == "}":
                if top:
                    raise Unsupported("stray }")
                break
            items.append(self.item())
            end = self.i
            while text[end - 1] in " \t\r":
                end -= 1
            ended_line = text[end - 1] == "\n"  # a heredoc takes its closing newline
            if not self.nls() and not ended_line:
                self.ws()
                if top or self.peek() != "}":
                    raise Unsupported("items without a newline between them")
        return ast.Body(pos, tuple(items))

    def item(self) -> ast.Attribute | ast.Block:
        start = self.i
        name = self.word()
        if name is None:
            raise Unsupported("expected an attribute or a block")
        self.i += len(name)
        self.ws()
        if self.at_eq():
            self.i += 1
            m = _PLAIN_STRING_LINE.match(self.text, self.i)
            if m is not None:  # name = "text" and the line ends: what expression() would give, directly
                return self._plain_string_attribute(start, name, m)
            return ast.Attribute(self.pos(start), name, self.expression())
        labels: list[str] = []
        label_pos: list[SourcePos] = []
        m = _ONE_LABEL_HEAD.match(self.text, self.i)
        if m is not None:  # type "label" {: the loop below would take the label and stop at the brace
            labels.append(nfc(m.group(1)))
            label_pos.append(self.pos(self.i))
            self.i = m.end() - 1
            return self._block_body(start, name, labels, label_pos)
        while True:
            self.ws()
            c = self.peek()
            if c == '"':
                at = self.i
                expr = self.string()
                if not all(isinstance(p, ast.LiteralValue) for p in expr.parts):
                    raise Unsupported("a label with interpolation")
                labels.append("".join(str(p.value) for p in expr.parts if isinstance(p, ast.LiteralValue)))
                label_pos.append(self.pos(at))
                continue
            label = self.word()
            if label is None:
                break
            label_pos.append(self.pos(self.i))
            labels.append(label)
            self.i += len(label)
        self.nls()
        return self._block_body(start, name, labels, label_pos)

    def _block_body(self, start: int, name: str, labels: list[str], label_pos: list[SourcePos]) -> ast.Block:
        self.expect("{")
        body = self.body(top=False)
        self.expect("}")
        return ast.Block(self.pos(start), name, tuple(labels), body, tuple(label_pos))

    def _plain_string_attribute(self, start: int, name: str, m: re.Match[str]) -> ast.Attribute:
        quote = m.start(1) - 1
        self.i = m.end()
        content = m.group(1)
        where = self.pos(start)
        if self.plain:  # one line: the quote's columns from the name's (no bisect)
            at = SourcePos(self.filename, where.line, where.column + quote - start)
            inner = SourcePos(self.filename, where.line, at.column + 1)
        else:
            at, inner = self.pos(quote), self.pos(quote + 1)
        parts = (ast.LiteralValue(inner, nfc(content)),) if content else ()
        return ast.Attribute(where, name, ast.TemplateExpr(at, parts, "quoted"))

    # --- expressions ------------------------------------------------------------------------------
    def expression(self) -> ast.Expr:
        self.ws()
        start = self.i
        cond = self.binary(0)
        self.ws()
        if self.peek() != "?":
            return cond
        self.i += 1
        self.nls()
        true = self.expression()
        self.colon()
        false = self.expression()
        return ast.Conditional(self.pos(start), cond, true, false)

    def binary(self, min_prec: int) -> ast.Expr:
        """Operators by precedence climbing: the grammar's ladder of left-associative levels."""
        left = self.unary()
        text = self.text
        while True:
            self.ws()
            i = self.i
            if i >= self.n or text[i] not in _OP_CHARS:
                return left
            m = _OP.match(text, i)
            if m is None:
                return left
            op = m.group()
            prec = _PRECEDENCE[op]
            if prec < min_prec:
                return left
            after = text[m.end() : m.end() + 1]
            if op == "/" and after in ("/", "*"):
                return left  # a comment, not a division
            if (op == "<" and after == "<") or (op == "%" and after == "{"):
                raise Unsupported("an ambiguous operator")
            if op == "-" and after and after in _DIGITS:
                raise Unsupported("'-' and a digit after an operand")  # Lark may lex a number
            self.i = m.end()
            self.nls()
            right = self.binary(prec + 1)
            left = ast.BinaryOp(self.pos(i), op, left, right)

    def unary(self) -> ast.Expr:
        self.ws()
        c = self.peek()
        if c == "!" or (c == "-" and not FLOAT_LITERAL.match(self.text, self.i) and not INT_LITERAL.match(self.text, self.i)):
            at = self.i
            self.i += 1
            return ast.UnaryOp(self.pos(at), c, self.term())
        return self.term()

    def term(self) -> ast.Expr:
        """An ``expr_term``: a primary and its traversal steps, index and splats."""
        self.ws()
        text, i = self.text, self.i
        c = self.peek()
        expr: ast.Expr
        if c == '"':
            expr = self.string()
        elif c == "[":
            expr = self.tuple_or_for()
        elif c == "{":
            expr = self.object_or_for()
        elif c == "(":
            self.i += 1
            self.nls()
            expr = self.expression()
            self.nls()
            self.expect(")")
        elif c == "<":
            expr = self.heredoc()
        elif c in _DIGITS or c == "-":
            expr = self.number()
        else:
            name = self.word()
            if name is None:
                raise Unsupported("expected an expression")
            if name in _LITERALS:
                self.i = i + len(name)
                expr = ast.LiteralValue(self.pos(i), _LITERALS[name])
            elif name in _KEYWORDS:
                raise Unsupported("a keyword as an expression")
            else:
                self.i = i + len(name)
                self.ws()
                if self.peek() == "(":
                    expr = self.call(name, i)
                elif text.startswith("::", self.i):
                    raise Unsupported("a provider function")
                else:
                    expr = ast.Variable(self.pos(i), name)
        return self.steps(expr)

    def number(self) -> ast.Expr:
        at = self.i
        m = FLOAT_LITERAL.match(self.text, at) or INT_LITERAL.match(self.text, at)
        if m is None:
            raise Unsupported("expected a number")
        tok = m.group()
        if "-" in tok[1:]:
            raise Unsupported("a number Lark lexes oddly")
        self.i = m.end()
        return ast.LiteralValue(self.pos(at), _number(tok))

    def steps(self, expr: ast.Expr) -> ast.Expr:
        text = self.text
        while True:
            self.ws()
            i = self.i
            if i >= self.n or text[i] not in ".[":
                return expr
            if text.startswith("...", i):
                return expr
            if text.startswith(".*", i) or text.startswith("[*]", i):
                at = i
                self.i = i + (2 if text[i] == "." else 3)
                each: ast.Expr = ast.SplatItem(self.pos(at))
                each = self.splat_steps(each)
                expr = ast.Splat(self.pos(at), expr, each)
                continue
            step = self.step(expr)
            if step is None:
                return expr
            expr = step

    def splat_steps(self, each: ast.Expr) -> ast.Expr:
        text = self.text
        while True:
            self.ws()
            if text.startswith(("...", ".*", "[*]"), self.i):
                return each
            step = self.step(each)
            if step is None:
                return each
            each = step

    def step(self, obj: ast.Expr) -> ast.Expr | None:
        """One ``.name``, ``.N`` or ``[expr]`` after ``obj``; None when none follows."""
        text, at = self.text, self.i
        c = self.peek()
        if c == ".":
            self.i += 1
            self.ws()
            name = self.word()
            if name is not None:
                self.i += len(name)
                return ast.GetAttr(self.pos(at), obj, name)
            m = INT_LITERAL.match(text, self.i)
            if m is None or m.group().startswith("-") or _NAME_CHAR.match(text, m.end()):
                raise Unsupported("an unusual index")
            self.i = m.end()
            pos = self.pos(at)
            return ast.Index(pos, obj, ast.LiteralValue(pos, int(m.group())))
        if c == "[":
            self.i += 1
            self.nls()
            key = self.expression()
            self.nls()
            self.expect("]")
            return ast.Index(self.pos(at), obj, key)
        return None

    def call(self, name: str, at: int) -> ast.Expr:
        self.i += 1  # (
        self.nls()
        args: list[ast.Expr] = []
        expand = False
        if self.peek() != ")":
            args.append(self.expression())
            while True:
                took = self.nls()
                if self.peek() == ",":
                    self.i += 1
                    self.nls()
                    if self.peek() == ")":
                        break
                    args.append(self.expression())
                elif self.text.startswith("...", self.i) and not took:
                    self.i += 3
                    expand = True
                    break
                else:
                    break
        self.nls()
        self.expect(")")
        return ast.FunctionCall(self.pos(at), name, tuple(args), expand)

    def tuple_or_for(self) -> ast.Expr:
        at = self.i
        self.i += 1
        self.nls()
        if self.keyword("for"):
            key_var, value_var, coll = self.for_intro()
            value = self.expression()
            self.nls()
            cond = self.for_cond()
            self.expect("]")
            return ast.ForExpr(self.pos(at), key_var, value_var, coll, None, value, cond)
        items: list[ast.Expr] = []
        while self.peek() != "]":
            items.append(self.expression())
            self.nls()
            if self.peek() == ",":
                self.i += 1
                self.nls()
            elif self.peek() != "]":
                raise Unsupported("expected ',' or ']'")
        self.i += 1
        return ast.TupleExpr(self.pos(at), tuple(items))

    def object_or_for(self) -> ast.Expr:
        at = self.i
        self.i += 1
        self.nls()
        if self.keyword("for"):
            key_var, value_var, coll = self.for_intro()
            key = self.expression()
            self.ws()
            if not self.text.startswith("=>", self.i):
                raise Unsupported("expected '=>'")
            self.i += 2
            self.nls()
            value = self.expression()
            self.nls()
            group = self.text.startswith("...", self.i)
            if group:
                self.i += 3
                self.nls()
            cond = self.for_cond()
            self.expect("}")
            return ast.ForExpr(self.pos(at), key_var, value_var, coll, key, value, cond, group)
        items: list[ast.ObjectItem] = []
        while True:
            self.ws()
            if self.peek() == "}":
                break
            start = self.i
            key = self.object_key()
            self.ws()
            if not (self.at_eq() or self.at_colon()):
                raise Unsupported("expected '=' or ':'")
            self.i += 1
            items.append(ast.ObjectItem(self.pos(start), key, self.expression()))
            took = self.nls()
            if self.peek() == ",":
                self.i += 1
                self.nls()
            elif self.peek() != "}" and not took:
                raise Unsupported("object elements without a separator")
        self.i += 1
        return ast.ObjectExpr(self.pos(at), tuple(items))

    def object_key(self) -> ast.Expr:
        name = self.word()
        if name is not None:
            # A bare word before = or : is the key's text, true, false and null too (as HCL's
            # ObjectConsKeyExpr: {null = 1} is {"null" = 1}).
            if name in ("for", "in", "if"):
                raise Unsupported("a keyword as an object key")
            at = self.i
            self.i += len(name)
            self.ws()
            if self.at_eq() or self.at_colon():
                return ast.LiteralValue(self.pos(at), name)
            if name in _KEYWORDS and name not in _LITERALS:
                raise Unsupported("a keyword in an object key")
            self.i = at
        return self.expression()

    def for_intro(self) -> tuple[str | None, str, ast.Expr]:
        self.nls()
        first = self.identifier()
        self.ws()
        second = None
        if self.peek() == ",":
            self.i += 1
            self.ws()
            second = self.identifier()
            self.nls()
        self.nls()
        if not self.keyword("in"):
            raise Unsupported("expected 'in'")
        self.nls()
        coll = self.expression()
        self.colon()
        if second is None:
            return None, first, coll
        return first, second, coll

    def identifier(self) -> str:
        name = self.word()
        if name is None or name in _KEYWORDS or name in _LITERALS:
            raise Unsupported("expected a name")
        self.i += len(name)
        return name

    def for_cond(self) -> ast.Expr | None:
        self.ws()
        if not self.keyword("if"):
            return None
        self.nls()
        cond = self.expression()
        self.nls()
        return cond

    # --- strings and heredocs ---------------------------------------------------------------------
    def string(self) -> ast.TemplateExpr:
        text = self.text
        at = self.i
        m = _PLAIN_STRING.match(text, at)
        if m is not None:  # most strings: one literal, nothing to unescape, strip or assemble
            self.i = m.end()
            content = m.group(1)
            parts = (ast.LiteralValue(self.pos(at + 1), nfc(content)),) if content else ()
            return ast.TemplateExpr(self.pos(at), parts, "quoted")
        self.i += 1
        flat: list[_Item] = []
        while True:
            i = self.i
            c = text[i] if i < self.n else ""
            if c == '"':
                self.i += 1
                break
            if c == "$" and text.startswith("${", i):
                self.i += 2
                strip_left = self.strip_marker()
                expr = self.expression()
                strip_right = self.strip_marker()
                self.expect("}")
                flat.append(_Item("interp", self.pos(i), expr=expr, strip_left=strip_left, strip_right=strip_right))
                continue
            if c == "%" and text.startswith("%{", i):
                raise Unsupported("a template directive in a quoted string")
            if c == "$" and text.startswith("$${", i) or c == "%" and text.startswith("%%{", i):
                m = (ESCAPED_INTERPOLATION if c == "$" else ESCAPED_DIRECTIVE).match(text, i)
                if m is None or any(ch in m.group() for ch in '"\n\\'):
                    raise Unsupported("an unusual escaped sequence")
                literal = m.group()[1:]
            else:
                m = STRING_CHARS.match(text, i)
                if m is None or "\n" in m.group():
                    raise Unsupported("an unusual string")
                try:
                    literal = _unescape(m.group())
                except _BadEscape:
                    raise Unsupported("an invalid escape") from None
            self.i = m.end()
            if flat and flat[-1].kind == "lit":  # one literal token between sequences, as hcl does
                flat[-1].text += literal
            else:
                flat.append(_Item("lit", self.pos(i), text=literal))
        return _template(self.pos(at), flat, "quoted")

    def strip_marker(self) -> bool:
        self.ws()
        if self.peek() == "~":
            self.i += 1
            return True
        return False

    def heredoc(self) -> ast.Expr:
        at = self.i
        m = HEREDOC_TEMPLATE_TRIM.match(self.text, at) or HEREDOC_TEMPLATE.match(self.text, at)
        if m is None:
            raise Unsupported("not a heredoc")
        self.i = m.end()
        return _heredoc(m.group(), self.pos(at), m.re is HEREDOC_TEMPLATE_TRIM, self.shift)
