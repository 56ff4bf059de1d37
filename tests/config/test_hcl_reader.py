"""The hand-written reader (``hcl_reader``) against the grammar's Lark path, differentially.

The invariant: whenever the reader accepts a text, the Lark path accepts it too and builds the
same AST (positions included); whenever the reader declines, ``hcl.parse`` is the Lark path. So
the reader may leave any input to Lark, but never disagree with it. Checked on every configuration
and snippet shipped (examples, the corpus, docs, the language spec), on random programs generated
from the grammar's constructs with random spacing, newlines and comments (mostly valid), and on
random token mutations of those (mostly invalid). The reader must also take the common shapes
itself, or it would be a slow no-op.
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench import generate as bench_generate
from imgb.reconciler.config import ast, hcl, hcl_reader
from tests.config.generate import generate as generate_config
from tests.docs.fences import all_fences

ROOT = Path(__file__).parents[2]
SHIFT = hcl._Shift("f.imgb.hcl")
EXAMPLES = int(os.environ.get("IMGB_READER_EXAMPLES", "400"))


def lark(text: str) -> tuple[ast.Body | None, list[object]]:
    try:
        return hcl._parse_lark(text, SHIFT)
    except Exception as e:  # noqa: BLE001 - python-hcl2 raising is a rejection too
        return None, [e]


def reader(text: str) -> ast.Body | None:
    try:
        return hcl_reader.read(text + "\n", SHIFT)
    except (hcl_reader.Unsupported, hcl.SyntaxProblem, RecursionError):
        return None


def agree(text: str) -> ast.Body | None:
    """The reader's body, after checking it is the Lark path's."""
    fast = reader(text)
    if fast is not None:
        slow, diags = lark(text)
        assert not diags, f"the reader accepted what Lark rejects: {text!r}: {diags}"
        assert fast == slow, f"different ASTs for {text!r}"
    return fast


def agree_expression(text: str, line: int = 3, column: int = 7) -> None:
    shift = hcl._Shift("f", line - 1, column - 6)
    try:
        fast: ast.Body | None = hcl_reader.read("_ = (" + text + ")\n\n", shift)
    except (hcl_reader.Unsupported, hcl.SyntaxProblem, RecursionError):
        fast = None
    if fast is None:
        return
    try:
        slow = hcl._expression_lark(text, shift)
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"the reader accepted the expression {text!r}; Lark: {e}") from None
    assert fast == slow


# --- the lexer is the grammar's --------------------------------------------------------------------
def test_terminals_are_the_grammars() -> None:
    hcl._import_lark()
    compiled = {t.name: t.pattern.to_regexp() for t in hcl._parser().terminals}
    for name in ("NAME", "INT_LITERAL", "FLOAT_LITERAL", "STRING_CHARS", "ESCAPED_INTERPOLATION",
                 "ESCAPED_DIRECTIVE", "HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM", "NL_OR_COMMENT"):  # fmt: skip
        assert getattr(hcl_reader, name).pattern == compiled[name], name
    ignored = [t for t in hcl._parser().terminals if t.name.startswith("__IGNORE")]
    assert [t.pattern.to_regexp() for t in ignored] == [hcl_reader.IGNORE.pattern]


# --- every shipped configuration --------------------------------------------------------------------
def _shipped() -> list[tuple[str, str]]:
    out = []
    for path in sorted(ROOT.glob("examples/**/*.hcl")) + sorted(ROOT.glob("tests/**/*.hcl")):
        out.append((str(path.relative_to(ROOT)), path.read_text(errors="replace")))
    for fence in all_fences():
        if fence.info in ("hcl", "hcl-fragment"):
            out.append((f"{fence.doc}:{fence.line}", fence.text))
    spec = ROOT.parent / "shared" / "spec" / "language.md"
    for p in (spec, Path("/work/shared/spec/language.md")):
        if p.exists():
            for i, m in enumerate(re.finditer(r"```hcl\n(.*?)```", p.read_text(), re.S)):
                out.append((f"language.md#{i}", m.group(1)))
            break
    return out


SHIPPED = _shipped()


@pytest.mark.parametrize(("name", "text"), SHIPPED, ids=[n for n, _ in SHIPPED])
def test_shipped_configurations_agree(name: str, text: str) -> None:
    agree(text)


def test_the_reader_takes_what_configurations_are_made_of(tmp_path: Path) -> None:
    texts = [(ROOT / "examples/quickstart/main.imgb.hcl").read_text(), (ROOT / "examples/alicloud/main.imgb.hcl").read_text()]
    texts += [bench_generate.imgb_config(shape, 100) for shape in bench_generate.SHAPES]
    generate_config(tmp_path, blocks=50, files=2)
    texts += [p.read_text() for p in sorted(tmp_path.glob("*.hcl"))]
    for text in texts:
        assert agree(text) is not None, text[:200]
    taken = sum(agree(text) is not None for _, text in SHIPPED)
    valid = sum(lark(text)[0] is not None for _, text in SHIPPED)
    assert taken >= 0.9 * valid, (taken, valid)


# --- generated programs -----------------------------------------------------------------------------
WORDS = ["a", "b", "var", "local", "x_1", "a-b", "each", "in", "for", "if", "for_each", "else", "endif",
         "endfor", "true", "false", "null", "e5", "format"]  # fmt: skip
NUMBERS = ["0", "1", "12", "-1", "-12", "1.5", "-1.5", "-12.25", "1e3", "1E-2", "1.0", "007", "-1-2.5"]
STRING_PARTS = ["a", " ", "\\n", '\\"', "\\\\", "\\u00e9", "$", "%", "$${x}", "%%{y}", "${var.x}", '${"n"}',
                "${ a + 1 }", "%{ if true }y%{ endif }", "~", "{", "}", "\\t", "${~ a}", "${a ~}", " \\q"]  # fmt: skip
HEREDOCS = ["<<EOT\nhello ${a}\nEOT\n", "<<-EOT\n    RUN ${b.c}\n      x $${y}\n  EOT\n", "<<EOT\nEOT\n",
            "<<-X\n  %{ for i in l ~}\n  ${i}\n  %{ endfor }\n  X\n", "<<EOT\nno end\n"]  # fmt: skip
OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]
SEPARATORS = [" ", " ", " ", "", "\n", "  ", " # c\n", "/* c */", "\t", "\r\n", " // d\n"]

words = st.sampled_from(WORDS)
atoms = st.one_of(
    words,
    st.sampled_from(NUMBERS),
    st.lists(st.sampled_from(STRING_PARTS), max_size=4).map(lambda ps: '"' + "".join(ps) + '"'),
    st.sampled_from(HEREDOCS),
)


def _compound(inner: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    def join(parts: list[list[str]], sep: str) -> list[str]:
        out: list[str] = []
        for i, p in enumerate(parts):
            if i:
                out.append(sep)
            out += p
        return out

    return st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: ["[", *join(xs, ","), "]"]),
        st.tuples(st.lists(st.tuples(words, st.sampled_from(["=", ":"]), inner), max_size=3), st.sampled_from([",", "\n"])).map(
            lambda t: ["{", *join([[k, s, *v] for k, s, v in t[0]], t[1]), "}"]
        ),
        st.tuples(words, st.lists(inner, max_size=3), st.booleans()).map(
            lambda t: [t[0], "(", *join(t[1], ","), *(["..."] if t[2] else []), ")"]
        ),
        st.tuples(inner, st.sampled_from([".", "[", ".*.", "[*].", "[*]", ".0"]), words).map(
            lambda t: [*t[0], *([t[1], t[2], "]"] if t[1] == "[" else [t[1]] if t[1] in ("[*]", ".0") else [t[1], t[2]])]
        ),
        inner.map(lambda x: ["(", *x, ")"]),
        st.tuples(inner, st.sampled_from(OPS), inner).map(lambda t: [*t[0], t[1], *t[2]]),
        st.tuples(st.sampled_from(["!", "-"]), inner).map(lambda t: [t[0], *t[1]]),
        st.tuples(inner, inner, inner).map(lambda t: [*t[0], "?", *t[1], ":", *t[2]]),
        st.tuples(words, inner, inner, st.booleans()).map(
            lambda t: ["[", "for", t[0], "in", *t[1], ":", *t[2], *(["if", *t[1]] if t[3] else []), "]"]
        ),
        st.tuples(words, words, inner, inner, st.booleans()).map(
            lambda t: ["{", "for", t[0], ",", t[1], "in", *t[2], ":", *t[3], "=>", *t[3], *(["..."] if t[4] else []), "}"]
        ),
    )


expressions = st.recursive(atoms.map(lambda a: [a]), _compound, max_leaves=12)


def _items(depth: int) -> st.SearchStrategy[list[str]]:
    attribute = st.tuples(words, expressions).map(lambda t: [t[0], "=", *t[1]])
    if depth == 0:
        return attribute
    labels = st.lists(st.one_of(words, st.sampled_from(['"l"', '""', '"a${b}"'])), max_size=2)
    block = st.tuples(words, labels, st.lists(_items(depth - 1), max_size=3)).map(
        lambda t: [t[0], *t[1], "{", "\n", *[tok for item in t[2] for tok in [*item, "\n"]], "}"]
    )
    return st.one_of(attribute, block)


bodies = st.lists(_items(2), max_size=4).map(lambda items: [tok for item in items for tok in [*item, "\n"]])


@st.composite
def programs(draw: st.DrawFn, spaced: bool) -> str:
    tokens = draw(bodies)
    out = []
    for tok in tokens:
        out.append(tok)
        out.append(" " if spaced or tok == "\n" else draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(programs(spaced=True))
@example('a = "x"\nb = [1, -12, -1]\nc "l" {\n  d = f(x...)\n}\n')
def test_generated_programs_agree(text: str) -> None:
    agree(text)


@_SETTINGS
@given(programs(spaced=False))
def test_generated_programs_with_random_spacing_agree(text: str) -> None:
    agree(text)


@_SETTINGS
@given(programs(spaced=True), st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.sampled_from(
    ["{", "}", "[", "]", "(", ")", '"', "${", "%{", "=", ",", "...", "\n", "-", "-1", ".", "#", "<<", "?", ":", "for", "in", "\\"]
)), min_size=1, max_size=4))  # fmt: skip
def test_mutated_programs_agree(text: str, ops: list[tuple[int, int, str]]) -> None:
    chars = list(text)
    for kind, where, frag in ops:
        i = where % (len(chars) + 1)
        if kind == 0 and chars:
            del chars[min(i, len(chars) - 1)]
        else:
            chars.insert(i, frag)
    agree("".join(chars))


@_SETTINGS
@given(expressions.map(" ".join))
@example("-1")
@example("a -12")
@example("x.0.1")
def test_expressions_agree(text: str) -> None:
    agree_expression(text)


@pytest.mark.parametrize(
    "text",
    ["-1", "-12", "- 1", "--12", "--1", "a-1", "a -1", "a - 1", "1-2.5", "-1-2.5", "a-2.5", "2*-12", "2*-1", "x.-12",
     "a.in", "a.true", "in", "[for_each]", "{for_each = 1}", "{in = 1}", "{for = 1}", "{true = 1}", "{a = 1 b = 2}",
     "f(a,)", "f(a\n...)", "f(a...)", "a[*].b[0]", "a.*.b.*.c", "(a) ? b : c", "{(a) = 1}", "{a.b = 1}",
     '"${a}${b}"', '"$${a"}"', '"a\nb"', "<<EOT\nx\nEOT\n.y", "1.x", "x.0e", "a\n+ b", "a +\nb", "a /* c */ + b",
     "[\n  1,\n  2,\n]", "{\n  a = 1\n  b = 2\n}", "c ?\n a :\n b", "[for x in y : x\nif x]", "\\\"a\\\""],
)  # fmt: skip
def test_corners_agree(text: str) -> None:
    agree_expression(text)
    agree(f"x = {text}\n")


# --- the parse cache follows the parser's code -------------------------------------------------------
def test_cache_key_covers_the_parsers_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from imgb.reconciler.config import cache

    names = {p.name for p in cache.parser_files()}
    assert {"hcl.py", "hcl_reader.py", "ast.py", "hcl2.lark", "postlexer.py"} <= names
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    before = cache.digest([a, b])
    a.write_text("x = 2\n")
    assert cache.digest([a, b]) != before

    # An entry written under one version of the code is not read by another.
    env = {"IMGB_CACHE_DIR": str(tmp_path / "cache")}
    data = b'x = "fresh"\n'
    body, _ = cache.parse_cached(data, "f.imgb.hcl", env)
    (entry,) = (tmp_path / "cache" / "parsed").glob("*.pickle")
    stale = hcl.parse('x = "stale"\n', "f.imgb.hcl")
    entry.write_bytes(cache.seal(pickle.dumps(stale)))
    assert cache.parse_cached(data, "f.imgb.hcl", env)[0] == stale[0]  # same code: the entry is used
    monkeypatch.setattr(cache, "_code_digest", lambda: b"edited parser")
    assert cache.parse_cached(data, "f.imgb.hcl", env)[0] == body
