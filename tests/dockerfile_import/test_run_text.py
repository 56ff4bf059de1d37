"""RUN text: Docker joins a RUN's continuation lines before the shell sees them; Image Builder
hands the lines, backslash-newlines included, to /bin/sh. The import's layout must make the shell
read the same command as Docker's joined line, whatever the quotes, comments and escapes; checked
by running both with real shells (dash and busybox ash) on generated Dockerfiles."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgb.commands.parse import parse_dockerfile
from imgb.reconciler.dockerfile_import.parser import parse
from imgb.reconciler.dockerfile_import.sh import layout

SHELLS = [s for s in (["sh", "-c"], ["busybox", "sh", "-c"]) if shutil.which(s[0])]

WORDS = st.one_of(
    st.from_regex(r"[a-z0-9=./-]{1,6}", fullmatch=True),
    st.from_regex(r"'[a-z #\\$\"]{0,6}'", fullmatch=True),
    # "$$" is the shell's process id, different in every run.
    st.from_regex(r'"[a-z #\'$]{0,6}"', fullmatch=True).filter(lambda w: "$$" not in w),
    st.from_regex(r"[a-z]{1,3}\\ [a-z]{1,3}", fullmatch=True),
    st.just("\\\\"),
    st.just("#c"),
    st.just("$X"),
)


def run(shell: list[str], script: str) -> str:
    res = subprocess.run([*shell, script], capture_output=True, text=True, env={"X": "ex", "PATH": "/usr/bin:/bin"})
    return f"{res.returncode}|{res.stdout}|{res.stderr != ''}"


def imgb_run_args(text: str) -> str:
    instructions, problems = parse_dockerfile(text)
    assert not problems, problems
    assert len(instructions) == 2, instructions
    assert instructions[0].name == "RUN"
    return instructions[0].args


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(WORDS, min_size=1, max_size=4), min_size=1, max_size=5),
    st.lists(st.sampled_from(["", "  ", "\t", "    "]), min_size=5, max_size=5),
    st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_layout_keeps_what_the_shell_reads(lines: list[list[str]], indents: list[str], glued: list[bool]) -> None:
    physical = []
    for k, words in enumerate(lines):
        text = " ".join(words)
        # A continuation either ends a word (blank before the backslash) or splits one.
        sep = "" if glued[k] else " "
        physical.append(indents[k] + text + (sep + "\\" if k < len(lines) - 1 else ""))
    dockerfile = "FROM x\nRUN printf '<%s>' " + "\n".join(physical) + "\n"
    ins = parse(dockerfile).instructions[1]
    joined = ins.args
    ours = layout(joined, ins.breaks)
    args = imgb_run_args("RUN " + ours + "\nRUN next\n")
    for shell in SHELLS:
        assert run(shell, args) == run(shell, joined), (dockerfile, ours)


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        # A single-quoted string across a continuation: Docker joins the lines inside the quotes.
        ("RUN echo 'a \\\nb'\n", "a b\n"),
        # A comment at the end of a continued line swallows the rest of Docker's joined line.
        ("RUN echo a # note \\\n  ; echo b\n", "a\n"),
        # Blanks after the backslash still continue the line in Docker.
        ("RUN echo a \\  \n  b\n", "a b\n"),
        # An escaped backslash at the end does not continue the line.
        ("RUN echo a\\\\\nRUN echo b\n", "a\\\n"),
        # A continuation inside a word glues it to the next line.
        ("RUN echo ab\\\ncd\n", "abcd\n"),
    ],
)
def test_docker_continuation_cases(dockerfile: str, expected: str) -> None:
    ins = parse("FROM x\n" + dockerfile).instructions[1]
    ours = layout(ins.args, ins.breaks)
    args = imgb_run_args("RUN " + ours + "\nRUN next\n")
    for shell in SHELLS:
        out = subprocess.run([*shell, args], capture_output=True, text=True).stdout
        assert out == expected, (dockerfile, ours)
