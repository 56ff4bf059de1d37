"""Properties of format_source on generated and mutated configurations.

Generated configurations are trees rendered with random (but valid) whitespace. For each:
formatting succeeds, is idempotent, keeps the token stream and the parsed meaning, and two
renderings of one tree that differ only in spaces and indentation format identically.
"""

from __future__ import annotations

import glob
import random
import re
from pathlib import Path
from typing import Any

import hcl2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.reconciler.fmt import _tokenize, format_source

ROOT = Path(__file__).resolve().parents[2]
NAMES = st.sampled_from(["a", "b", "name", "web", "x_1", "app-v", "region", "tags"])
TEXT = st.text(alphabet="abc xyz-_.:/=#{}[]", max_size=12)

# An expression tree: ("num", 3) ("str", "abc", with_interp) ("ref", "var.x") ("list", [...])
# ("map", [(k, e)...]) ("call", name, [...]) ("bin", op, l, r) ("cond", c, a, b) ("neg", e) ("not", e)


def exprs(depth: int = 0) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.tuples(st.just("num"), st.integers(0, 999)),
        st.tuples(st.just("str"), TEXT.filter(lambda s: "${" not in s and "%{" not in s), st.booleans()),
        st.tuples(
            st.just("ref"), st.sampled_from(["var.x", "local.tags", "each.key", "component.a.id", "true"])
        ),
    )
    if depth >= 2:
        return leaves
    sub = exprs(depth + 1)
    return st.one_of(
        leaves,
        st.tuples(st.just("list"), st.lists(sub, max_size=3)),
        st.tuples(st.just("map"), st.lists(st.tuples(NAMES, sub), max_size=3, unique_by=lambda kv: kv[0])),
        st.tuples(
            st.just("call"), st.sampled_from(["merge", "join", "lower", "concat"]), st.lists(sub, max_size=3)
        ),
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "==", "&&", "<="]), sub, sub),
        st.tuples(st.just("cond"), sub, sub, sub),
        st.tuples(st.just("neg"), st.tuples(st.just("ref"), st.just("var.n"))),
        st.tuples(st.just("not"), st.tuples(st.just("ref"), st.just("var.b"))),
    )


heredocs = st.tuples(
    st.just("heredoc"),
    st.booleans(),
    st.lists(
        st.text(alphabet="RUN echo $=#  \t", max_size=15).filter(lambda s: s.strip() != "EOT"), max_size=4
    ),
)
attributes = st.tuples(st.just("attr"), NAMES, st.one_of(exprs(), heredocs))
comments = st.tuples(st.just("comment"), st.text(alphabet="abc =#{ ", max_size=10))


def bodies(depth: int = 0) -> st.SearchStrategy[Any]:
    items: st.SearchStrategy[Any] = st.one_of(attributes, comments)
    if depth < 2:
        items = st.one_of(
            attributes,
            comments,
            st.tuples(
                st.just("block"),
                st.sampled_from(["component", "template", "locals", "validation"]),
                st.lists(st.sampled_from(["web", "a b", "x"]), max_size=2),
                st.deferred(lambda: bodies(depth + 1)),
            ),
        )
    # Attribute names are unique within a body (HCL requires it).
    return st.lists(items, max_size=5).map(_unique_attrs)


def _unique_attrs(items: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item[0] == "attr":
            if item[1] in seen:
                continue
            seen.add(item[1])
        out.append(item)
    return out


class Renderer:
    """Renders a tree with random valid whitespace; ``blank_lines`` adds blank lines and comments."""

    def __init__(self, rng: random.Random, messy: bool, blank_lines: bool):
        self.rng = rng
        self.messy = messy
        self.blank_lines = blank_lines

    def ws(self, required: bool = False) -> str:
        if not self.messy:
            return " " if required else ""
        return self.rng.choice([" ", "  ", "\t"] if required else ["", " ", "   ", "\t"])

    def indent(self, depth: int) -> str:
        return self.rng.choice(["", " ", "    ", "\t", "  " * depth]) if self.messy else "  " * depth

    def expr(self, e: Any) -> str:
        kind = e[0]
        w = self.ws
        if kind == "num":
            return str(e[1])
        if kind == "str":
            return '"' + e[1] + ("${var.x}" if e[2] else "") + '"'
        if kind == "ref":
            return e[1]
        if kind == "list":
            return "[" + w() + ("," + w()).join(self.expr(x) for x in e[1]) + w() + "]"
        if kind == "map":
            inner = ("," + w()).join(k + w() + "=" + w() + self.expr(v) for k, v in e[1])
            return "{" + w() + inner + w() + "}"
        if kind == "call":
            return e[1] + "(" + w() + ("," + w()).join(self.expr(x) for x in e[2]) + w() + ")"
        if kind == "bin":
            # A minus right after a name would join it (a-b is one identifier): keep spaces around it.
            sep = w(required=e[1] == "-")
            return "(" + self.expr(e[2]) + sep + e[1] + w(required=True) + self.expr(e[3]) + ")"
        if kind == "cond":
            return (
                "("
                + self.expr(e[1])
                + w()
                + "?"
                + w()
                + self.expr(e[2])
                + w()
                + ":"
                + w()
                + self.expr(e[3])
                + ")"
            )
        if kind == "neg":
            return "-" + self.expr(e[1])
        if kind == "not":
            return "!" + self.expr(e[1])
        raise AssertionError(kind)

    def body(self, items: list[Any], depth: int) -> str:
        out = []
        for item in items:
            if self.blank_lines and self.rng.random() < 0.3:
                out.append(self.ws() + "\n" * self.rng.randint(1, 3))
            kind = item[0]
            if kind == "attr":
                value = item[2]
                if value[0] == "heredoc":
                    marker = "<<-EOT" if value[1] else "<<EOT"
                    body = "".join(line + "\n" for line in value[2])
                    # The closing line belongs to the heredoc, which fmt keeps as written.
                    rhs = marker + "\n" + body + "  " * depth + "EOT"
                else:
                    rhs = self.expr(value)
                line = self.indent(depth) + item[1] + self.ws() + "=" + self.ws() + rhs
                if self.blank_lines and self.rng.random() < 0.2 and value[0] != "heredoc":
                    line += self.ws(required=True) + "# trailing"
                # Nothing may follow a heredoc's closing marker on its line.
                out.append(line + ("" if value[0] == "heredoc" else self.ws()) + "\n")
            elif kind == "comment":
                if self.blank_lines:
                    out.append(self.indent(depth) + "#" + item[1] + self.ws() + "\n")
            else:
                labels = "".join(self.ws(required=True) + f'"{label}"' for label in item[2])
                head = self.indent(depth) + item[1] + labels + self.ws() + "{" + self.ws() + "\n"
                out.append(head + self.body(item[3], depth + 1) + self.indent(depth) + "}" + self.ws() + "\n")
        return "".join(out)


def fmt(text: str) -> str:
    out, diags = format_source(text, "gen.imgb.hcl")
    assert out is not None, [f"{d.summary}: {d.detail} ({d.pos})" for d in diags] + [text]
    return out


def significant(text: str) -> list[tuple[Any, str]]:
    return [(t.kind, t.text) for t in _tokenize(text) if t.kind.name != "NEWLINE"]


def check_invariants(text: str) -> str:
    out = fmt(text)
    assert fmt(out) == out, "not idempotent"
    assert significant(out) == significant(text)
    assert hcl2.loads(out) == hcl2.loads(text)
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    assert "<<" in out or "\n\n\n" not in out  # heredoc bodies may hold blank lines
    return out


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tree=bodies(), seed=st.integers(0, 2**32), seed2=st.integers(0, 2**32))
def test_generated_configurations(tree: list[Any], seed: int, seed2: int) -> None:
    tidy = Renderer(random.Random(0), messy=False, blank_lines=False).body(tree, 0)
    messy = Renderer(random.Random(seed), messy=True, blank_lines=False).body(tree, 0)
    other = Renderer(random.Random(seed2), messy=True, blank_lines=False).body(tree, 0)
    canonical = check_invariants(tidy)
    # Spaces and indentation are not meaning: every rendering formats to one text.
    assert check_invariants(messy) == canonical
    assert fmt(other) == canonical


@SETTINGS
@given(tree=bodies(), seed=st.integers(0, 2**32))
def test_generated_configurations_with_blank_lines_and_comments(tree: list[Any], seed: int) -> None:
    check_invariants(Renderer(random.Random(seed), messy=True, blank_lines=True).body(tree, 0))


EXAMPLES = sorted(glob.glob(str(ROOT / "examples" / "*" / "*.imgb.hcl")))
_HEREDOC_OPEN = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$")


def _mutate(text: str, rng: random.Random, blank_lines: bool) -> str:
    """Re-indent lines, pad "=", add trailing blanks (and blank lines) outside heredoc bodies."""
    out = []
    marker = None
    for line in text.split("\n"):
        if marker is not None:
            out.append(line)
            if line.strip() == marker:
                marker = None
            continue
        m = _HEREDOC_OPEN.search(line)
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            line = rng.choice(["", " ", "\t", "      "]) + stripped
            line = re.sub(r" += +", lambda _: rng.choice(["=", " =", "=  ", "\t=\t"]), line, count=1)
        if m is None:
            line += rng.choice(["", " ", "\t "])
        out.append(line)
        if blank_lines and m is None and rng.random() < 0.2:
            out.append(rng.choice(["", "   "]))
        if m:
            marker = m.group(1)
    return "\n".join(out)


@settings(max_examples=25, deadline=None)
@given(index=st.integers(0, max(len(EXAMPLES) - 1, 0)), seed=st.integers(0, 2**32), blank=st.booleans())
def test_mutated_examples(index: int, seed: int, blank: bool) -> None:
    original = Path(EXAMPLES[index]).read_text()
    mutated = _mutate(original, random.Random(seed), blank)
    out = check_invariants(mutated)
    if not blank:
        assert out == original
