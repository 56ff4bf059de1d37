"""Patterns that ``regexes.python_equivalent`` gives to Python's ``re`` mean what they mean to RE2
(Terraform's engine): the same matches, groups, repeated matches and replacements, on generated
patterns and texts. Everything else goes to RE2."""

from __future__ import annotations

from typing import Any

import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.reconciler.config import regexes
from imgb.reconciler.config.regexes import find_all, python_equivalent, replace_all

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False

ALPHABET = "ab.-_1 \nZ$"


def atoms() -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["a", "b", "1", "-", "_", " ", ".", "\\.", "\\-", "\\$", "[ab]", "[^a]", "[a-z]", "[0-9.]", "[-a]", "Z",
         "\\d", "\\w", "\\s", "\\b", "[[:alpha:]]", "\\pL", "é", "\\n", "[]a]", "[a-]"]
    )


def quantifiers() -> st.SearchStrategy[str]:
    return st.sampled_from(["", "", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{0,2}", "{1,}", "{3}?", "{0}", "{,2}", "**"])


@st.composite
def patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 9))
        if kind == 0 and depth < 2:
            opener = draw(st.sampled_from(["(", "(?:", f"(?P<n{depth}>", "(?i)(", "(?="]))
            inner = draw(patterns(depth + 1))
            if draw(st.booleans()):
                inner += "|" + draw(patterns(depth + 1))
            parts.append(opener + inner + ")" + draw(quantifiers()))
        elif kind == 1:
            parts.append(draw(st.sampled_from(["^", "$", "|"])))
        else:
            parts.append(draw(atoms()) + draw(quantifiers()))
    return "".join(parts)


def outcome(rx: Any, text: str) -> Any:
    m = rx.search(text)
    first = None if m is None else (m.span(), m.groups(), sorted(rx.groupindex.items()))
    every = [(x.span(), x.groups()) for x in find_all(rx, text)]
    return first, every, replace_all(rx, text, "<$1|${n0}>"), rx.groups


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns(), st.lists(st.text(ALPHABET, max_size=12), min_size=1, max_size=4))
def test_the_subset_matches_as_re2_does(pattern: str, texts: list[str]) -> None:
    python = python_equivalent(pattern)
    if python is None:
        return
    try:
        engine = re2.compile(pattern, _OPTIONS)
    except re2.error:
        raise AssertionError(f"{pattern!r}: re compiles it as {python.pattern!r}, RE2 refuses it") from None
    for text in texts:
        assert outcome(python, text) == outcome(engine, text), (pattern, python.pattern, text)


def test_common_validation_patterns_skip_re2_and_the_rest_do_not() -> None:
    inside = ["^[0-9]+\\.[0-9]+\\.[0-9]+$", "^[a-z][a-z0-9-]{2,30}$", "^(?P<major>[0-9]+)\\.", "^.{1,255}$",
              "([a-z]+\\.)*[a-z]+", "^(?:dev|prod)$", "^ami-[0-9a-f]{8}$", "x+?y"]
    outside = ["\\d+", "[[:alpha:]]", "\\pL", "(?i)abc", "(a*)*", "(a|)+", "a{1001}", "(?:a{2}){3}", "é", "a**",
               "[", "(", "a{,2}", "[a-\\.]", "[]a]", "\\bword", "(?=a)", "\\1", "a\nb", "[a--b]"]
    assert [p for p in inside if python_equivalent(p) is None] == []
    assert [p for p in outside if python_equivalent(p) is not None] == []
    assert python_equivalent("a$") is not None and python_equivalent("a$").search("a\n") is None  # type: ignore[union-attr]


def test_errors_are_re2s_own() -> None:
    regexes.compile_re2.cache_clear()
    for bad in ("[", "a**", "a{1001}", "x{2}{3}"):
        try:
            regexes.compile_re2(bad)
        except regexes.RegexError as exc:
            assert str(exc).startswith("invalid regular expression pattern: ")
        else:
            raise AssertionError(bad)
