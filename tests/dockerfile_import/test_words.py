"""The shell-level rewrites of the import, checked against a real shell: a heredoc and the printf
that replaces it print the same bytes, and Docker's variable substitution follows Docker."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgb.reconciler.dockerfile_import.words import docker_words, printf_lines, substitute

TRICKY = [
    "plain text",
    "it's \"quoted\" and 'single'",
    "dollar $HOME and ${HOME} and \\$HOME",
    "backslash \\ at the middle and \\\\ doubled",
    "backquote `echo hi` and $(echo sub)",
    'escaped \\" quote',
    "",
    "   leading and trailing spaces   ",
    "percent %s %d \\n",
    "ends with a backslash \\",
]


def sh(script: str) -> str:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True, env={"HOME": "/home/x", "PATH": "/usr/bin:/bin"}).stdout


@pytest.mark.parametrize("quoted", [True, False])
def test_printf_prints_what_the_heredoc_printed(quoted: bool) -> None:
    lines = [ln for ln in TRICKY if quoted or not ln.endswith("\\")]  # a trailing \ continues an unquoted heredoc line
    delim = "'EOF'" if quoted else "EOF"
    heredoc = sh(f"cat <<{delim}\n" + "\n".join(lines) + "\nEOF\n")
    assert sh(printf_lines(lines, quoted)) == heredoc


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30), min_size=1, max_size=4))
def test_printf_of_a_quoted_heredoc_is_exact(lines: list[str]) -> None:
    assert sh(printf_lines(lines, True)) == sh("cat <<'EOF_X'\n" + "\n".join(lines) + "\nEOF_X\n")


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("a=$V b=${V}", {"V": "1"}, "a=1 b=1"),
        ("${V:-x} ${E:-x} ${U-x} ${E-x}", {"V": "1", "E": "", "U": None}, "1 x x "),
        ("${V:+set} ${E:+set} ${E+set}", {"V": "1", "E": ""}, "set  set"),
        ("\\$V $V", {"V": "1"}, "$V 1"),
        ("$OTHER stays", {"V": "1"}, "$OTHER stays"),
    ],
)
def test_docker_substitution(text: str, values: dict[str, str | None], expected: str) -> None:
    assert substitute(text, values).text == expected


def test_shell_text_keeps_single_quotes_and_escapes() -> None:
    got = substitute("echo '$V' \"$V\" \\$V $V", {"V": "1"}, skip_single_quoted=True).text
    assert got == "echo '$V' \"1\" \\$V 1"


def test_docker_words_split_like_docker() -> None:
    words, sub = docker_words('A="a b" B=$A-x C=\'$A\' D=\\$A E=x\\\n    y', {"A": "1"})
    assert words == ["A=a b", "B=1-x", "C=$A", "D=$A", "E=x", "y"]
    assert sub.used == {"A"}
