"""Heredocs, which the reference builder (buildah 1.28) cannot build: each case states what
BuildKit runs (its documented rule: ``RUN <<EOF`` alone runs the body as ``sh -c``; otherwise the
line and the bodies, each followed by its delimiter, go to ``sh -c`` together; ``COPY <<EOF``
writes the body, expanded with Docker's rules when the delimiter is not quoted) and the output
that gives; the translation, run as Image Builder runs it, must print and write the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgb.reconciler.dockerfile_import import Options, import_dockerfile
from tests.dockerfile_import.translation import component_content, run_commands

CASES = [
    ("RUN <<EOF\necho a\necho b\nEOF\n", "a\nb\n"),
    ("RUN <<-EOF\n\techo tabs\n\tEOF\n", "tabs\n"),
    ("RUN <<EOF\nset -e\nif [ -n \"$X\" ]; then\n  echo x=$X\nfi\nEOF\n", "x=ex\n"),
    ("RUN cat <<EOF\nhello $X `echo sub` \\$X\nEOF\n", "hello ex sub $X\n"),
    ("RUN cat <<'EOF'\nhello $X\nEOF\n", "hello $X\n"),
    ('RUN cat <<"X-Y"\nquoted $X\nX-Y\n', "quoted $X\n"),
    ("RUN 5<<F cat <&5\nfive\nF\n", "five\n"),
    ("RUN <<A cat && <<B cat\nfirst\nA\nsecond\nB\n", "first\nsecond\n"),
    ("RUN cat <<A <<B\nignored\nA\nlast wins\nB\n", "last wins\n"),
    ("RUN sh <<EOF\necho in sh $X\nEOF\n", "in sh ex\n"),
    ("RUN <<EOF\n#!/bin/sh\necho script with $# args\nEOF\n", "script with 0 args\n"),
    ("ARG V=1\nRUN <<EOF\necho v=$V\nEOF\n", "v=1\n"),
    ("ARG V=1\nRUN cat <<EOF\nv=$V\nEOF\n", "v=1\n"),
    ("SHELL [\"/bin/sh\", \"-e\", \"-c\"]\nRUN <<EOF\necho shell\nfalse\necho not reached\nEOF\n", None),
    ("RUN <<EOF\necho 'it''s' \"q\" \\\\ end\nEOF\n", "its q \\ end\n"),
]


def translated(dockerfile: str) -> str:
    result = import_dockerfile("FROM busybox\nENV X=ex\n" + dockerfile, "Dockerfile", name="heredoc", options=Options(platform="linux/amd64"))
    assert result.hcl is not None, [d.summary for d in result.diagnostics.items]
    return component_content(result.hcl)


@pytest.mark.parametrize(("dockerfile", "expected"), CASES)
def test_heredoc_runs_as_in_buildkit(dockerfile: str, expected: str | None, tmp_path: Path) -> None:
    code, out = run_commands(translated(dockerfile), tmp_path)
    if expected is None:  # set -e from the SHELL stops the script at false, and the build fails
        assert code != 0 and out == "shell\n"
    else:
        assert (code, out) == (0, expected)


@pytest.mark.parametrize(
    ("dockerfile", "path", "body", "mode"),
    [
        ("COPY <<EOF out.txt\nhome=$X \"q\" 'p' \\$X a\\b\nEOF\n", "out.txt", "home=ex \"q\" 'p' $X ab\n", "644"),
        ("COPY <<'EOF' out.txt\nhome=$X\nEOF\n", "out.txt", "home=$X\n", "644"),
        ("COPY --chmod=600 <<-EOF dir/\n\tindented\nEOF\n", "dir/EOF", "indented\n", "600"),
        ("COPY <<one <<two dir/\n1\none\n2\ntwo\n", "dir/two", "2\n", "644"),
    ],
)
def test_copy_heredoc_writes_what_buildkit_writes(dockerfile: str, path: str, body: str, mode: str, tmp_path: Path) -> None:
    code, _ = run_commands(translated("WORKDIR " + str(tmp_path) + "\n" + dockerfile), tmp_path)
    assert code == 0
    assert (tmp_path / path).read_text() == body
    assert f"{(tmp_path / path).stat().st_mode & 0o777:o}" == mode
