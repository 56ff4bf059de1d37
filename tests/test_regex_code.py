"""imgb/regex_code.py: regular expression programs kept on disk. A pattern built from a kept program
must be the pattern ``re`` builds (``Pattern.__eq__`` compares the programs themselves), whether
the cache is empty, read back from its file, or damaged."""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgb import code_cache, regex_code

ROOT = Path(__file__).resolve().parents[1]

CORPUS: list[tuple[Any, int]] = [
    (r"^(?P<kind>component|template)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?:\[(?P<key>\"(?:[^\"\\]|\\.)*\")\])?$", 0),
    (r"(a)(?(1)b|c)", 0),
    (r"(?<=x)y(?!z)(?<!w)", 0),
    (r"(\w+)\s+\1", re.IGNORECASE),
    (r"^ a # comment\n b $", re.VERBOSE | re.MULTILINE),
    (r"(?s:.*\.imgb\.hcl)\Z", 0),
    (r"[\u0100-\uffff\U00010000-\U0010ffff]+", 0),
    (r"(?>a+)b", 0),
    (r"a++b*+c?+", 0),
    (r"\bword\b|\d{2,5}|[^\W\d_]", re.ASCII),
    (r"(?i)ß|ǅ", 0),
    (b"[\x80-\xff]+(?P<tail>\\d*)", 0),
    (b"(?L)\\w+", 0),
    (r"x{1000}y{0,65535}", 0),
    (r"", 0),
    (r"((((((((((a))))))))))\10", 0),
]


def same(p: Any, flags: int) -> None:
    got, want = regex_code._compile(p, flags), regex_code._ORIGINAL(p, flags)
    assert got == want  # flags, pattern and the program, word for word
    assert (got.groups, got.groupindex, got.flags) == (want.groups, want.groupindex, want.flags)


@pytest.fixture()
def cache(monkeypatch: pytest.MonkeyPatch) -> dict[Any, Any]:
    programs: dict[Any, Any] = {}
    monkeypatch.setattr(regex_code, "_programs", programs)
    monkeypatch.setattr(regex_code, "_new", [])
    return programs


def test_patterns_from_kept_programs_are_res_own(cache: dict[Any, Any], tmp_path: Path) -> None:
    for p, flags in CORPUS:
        same(p, flags)  # compiled, and kept
        same(p, flags)  # from what was kept
    assert len(cache) == len(CORPUS)
    file = str(tmp_path / "regex-code.marshal")
    code_cache.store(file, cache)
    read = code_cache.load(file)
    assert read == cache
    cache.clear()
    cache.update(read)
    for p, flags in CORPUS:
        same(p, flags)  # from the file


def test_a_damaged_entry_is_compiled_again(cache: dict[Any, Any]) -> None:
    p, flags = CORPUS[0]
    same(p, flags)
    good = cache[(p, flags)]
    for damage in ((good[0], [99999, 1, 2], *good[2:]), (good[0], "code", *good[2:]), (good[0], good[1], "x", *good[3:])):
        cache[(p, flags)] = damage
        same(p, flags)
        assert cache[(p, flags)] == good


def test_flags_given_as_regexflag_are_kept_as_numbers(cache: dict[Any, Any]) -> None:
    same("a+b", re.IGNORECASE | re.MULTILINE)
    assert all(type(k[1]) is int for k in cache)
    marshal.dumps(cache)


ATOM = st.sampled_from(["a", "b", ".", r"\d", r"\w", r"\s", "[a-c]", "[^x]", r"\.", "é", "^", "$", r"\b"])


def _regex() -> st.SearchStrategy[str]:
    return st.recursive(
        ATOM,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}|{t[1]}"),
            inner.map(lambda x: f"({x})"),
            inner.map(lambda x: f"(?:{x})"),
            inner.map(lambda x: f"(?P<g>{x})"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "*?", "{2}", "{1,3}", "++"])).map("".join),
        ),
        max_leaves=12,
    )


@settings(max_examples=300, deadline=None)
@given(pattern=_regex(), flags=st.sampled_from([0, re.I, re.M | re.S, re.X, re.A]))
def test_generated_patterns(pattern: str, flags: int) -> None:
    try:
        regex_code._ORIGINAL(pattern, flags)
    except re.error:
        with pytest.raises(re.error):
            regex_code._compile(pattern, flags)
        return
    regex_code._programs.pop((pattern, flags), None)
    same(pattern, flags)
    same(pattern, flags)


def test_a_command_keeps_the_programs_for_the_next(tmp_path: Path) -> None:
    """The CLI process installs the cache; the next process builds its patterns from the file."""
    probe = (
        "import sys, re\n"
        "from imgb import code_cache, regex_code\n"
        f"code_cache.path = lambda kind: {str(tmp_path / 'regex.marshal')!r}\n"
        "regex_code.install()\n"
        "import imgb.reconciler.validate\n"
        "print(len(regex_code._programs), len(regex_code._new))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    second = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    kept, new = map(int, first.stdout.split())
    assert kept > 20 and new > 0
    assert second.stdout.split() == [str(kept), "0"]  # every pattern from the file, none compiled


def test_a_matcher_that_refuses_the_kept_arguments_gets_res_own_compile(cache: dict[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Another Python's matcher may take other arguments: the pattern is then compiled by re
    itself, and nothing is kept."""
    import _sre

    compiler = sys.modules["re._compiler"]
    real = _sre.compile

    class Matcher:
        @staticmethod
        def compile(pattern: Any, flags: int, code: list[int], *rest: Any) -> Any:
            if code and type(code[0]) is int:  # what regex_code passes: plain numbers
                raise TypeError("not this matcher's arguments")
            return real(pattern, flags, code, *rest)

    monkeypatch.setattr(compiler, "_sre", Matcher)
    assert regex_code._compile("a(b)c", 0).match("abc").group(1) == "b"
    assert cache == {}
