"""Regression tests for the translations issue 19 found silently wrong, one per defect, through
the command line (`imgb import-dockerfile`) and, where the meaning is the shell's, by running the
translated RUN commands with /bin/sh as Image Builder does."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest

from imgb.commands.parse import parse_dockerfile
from imgb.reconciler.cli import main
from imgb.reconciler.validate import validate_directory
from imgb.reconciler.views.diagnostics import render_human
from tests.dockerfile_import.translation import component_content, run_commands


def imported(tmp_path: Path, text: str, *args: str, files: dict[str, str] | None = None) -> tuple[str, str]:
    """(HCL, diagnostics) of importing ``text`` with its build context holding ``files``."""
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    for rel, body in (files or {}).items():
        (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
        (ctx / rel).write_text(body)
    df = ctx / "Dockerfile"
    df.write_bytes(text.encode("utf-8"))
    out = ctx / "x.imgb.hcl"
    cwd = os.getcwd()
    os.chdir(ctx)
    try:
        code = main(["import-dockerfile", str(df), "--name", "img", "-o", str(out), "--force", *args])
    finally:
        os.chdir(cwd)
    assert code == 0, "the import failed"
    return out.read_text(), ""


def content(hcl: str) -> str:
    return component_content(hcl)


def instructions(hcl: str) -> list[tuple[str, str]]:
    parsed, problems = parse_dockerfile(content(hcl))
    assert not problems, problems
    return [(i.name, i.args) for i in parsed]


def run_all(hcl: str, tmp_path: Path) -> str:
    """The translation's RUN commands run as Image Builder would; what they print."""
    code, out = run_commands(component_content(hcl), tmp_path)
    assert code == 0
    return out


def test_1_options_on_continuation_lines(tmp_path: Path) -> None:
    hcl, _ = imported(
        tmp_path,
        "FROM alpine AS build\nFROM alpine\nCOPY \\\n  --from=build /out /out\n"
        "RUN \\\n  --mount=type=cache,target=/var/cache/apt \\\n  echo updated\n",
    )
    runs = [a for n, a in instructions(hcl) if n == "RUN"]
    assert "--mount" not in content(hcl)
    assert runs[0].strip() == "echo updated"
    assert not [a for n, a in instructions(hcl) if n == "COPY"]  # COPY --from is left out, with a warning


def test_2_arg_values_reach_the_shell_not_the_text(tmp_path: Path) -> None:
    hcl, _ = imported(
        tmp_path,
        "FROM alpine\nARG RELEASE\nARG PKG=curl\nARG A=x.y.z\n"
        'RUN if [ -z "${RELEASE}" ]; then RELEASE=1.2.3; fi && echo "release ${RELEASE}"\n'
        "RUN for PKG in a b; do echo $PKG; done\n"
        "RUN echo ${A#*.} $PKG ${RELEASE:-unset}\n",
    )
    assert run_all(hcl, tmp_path) == "release 1.2.3\na\nb\ny.z curl unset\n"


def test_3_args_are_inherited_by_a_stage_built_from_another(tmp_path: Path) -> None:
    hcl, _ = imported(tmp_path, "FROM alpine AS base\nARG V=1\nFROM base\nRUN echo v=$V\n")
    assert run_all(hcl, tmp_path) == "v=1\n"


def test_4_variables_in_copy_chown_are_expanded(tmp_path: Path) -> None:
    hcl, _ = imported(tmp_path, "FROM alpine\nARG UID=1000\nCOPY --chown=${UID}:100 a.txt /a.txt\n", files={"a.txt": "a\n"})
    body = content(hcl)
    assert "1000:100" in body and "${UID}" not in body and '"${UID}' not in body


def test_5_platform_args_are_predefined(tmp_path: Path) -> None:
    hcl, diags = imported(
        tmp_path,
        "FROM alpine AS base-linux\nRUN echo built > /b\nFROM base-$TARGETOS\nARG TARGETARCH\nRUN echo $TARGETARCH\n",
    )
    assert "echo built" in content(hcl)  # the stage FROM base-$TARGETOS is built on base-linux
    assert "Declare it" not in diags
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    assert run_all(hcl, tmp_path).endswith(arch + "\n")  # the platform defaults to this machine's


@pytest.mark.parametrize("reset", ["ENTRYPOINT []", "CMD []"])
def test_6_the_reset_idiom_validates(tmp_path: Path, reset: str) -> None:
    hcl, _ = imported(tmp_path, f"FROM alpine\nRUN true\n{reset}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "x.imgb.hcl").write_text(hcl)
    config, diags = validate_directory(repo)
    assert config is not None and not diags.has_errors(), render_human(diags, repo)


def test_7_byte_order_mark(tmp_path: Path) -> None:
    hcl, _ = imported(tmp_path, "\ufeffFROM alpine\nRUN echo hi\n")
    assert instructions(hcl) == [("RUN", "echo hi")]


def test_8_backslash_at_end_of_file(tmp_path: Path) -> None:
    hcl, _ = imported(tmp_path, "FROM alpine\nENV A=1 \\\n    B=2 \\\n")
    assert instructions(hcl) == [("ENV", 'A="1" B="2"')]


def test_9_end_of_options(tmp_path: Path) -> None:
    hcl, _ = imported(tmp_path, "FROM alpine\nCOPY -- a.txt /a.txt\n", files={"a.txt": "a\n"})
    assert instructions(hcl) == [("COPY", "a.txt /a.txt")]


def test_10_wildcards_stay_in_their_directory_and_dockerignore_counts(tmp_path: Path) -> None:
    files = {"a.json": "{}", "b.json": "{}", "sub/x.json": "{}", ".dockerignore": "b.json\n"}
    hcl, _ = imported(tmp_path, "FROM alpine\nCOPY *.json ./\n", files=files)
    copies = [a for n, a in instructions(hcl) if n == "COPY"]
    sources = [w for a in copies for w in (json.loads(a) if a.startswith("[") else a.split())[:-1]]
    assert sources == ["a.json"]


@pytest.mark.parametrize("sep", ["\f", "\x85", "\u2028"])
def test_11_lines_end_at_newline_only(tmp_path: Path, sep: str) -> None:
    hcl, _ = imported(tmp_path, f"FROM alpine\nRUN echo a{sep}b > /dev/null; echo done\n")
    assert [n for n, _ in instructions(hcl)] == ["RUN"]
    assert run_all(hcl, tmp_path) == "done\n"


def test_also_escape_directive_after_an_unknown_directive_is_a_comment(tmp_path: Path) -> None:
    hcl, _ = imported(tmp_path, "# foo=bar\n# escape=`\nFROM alpine\nRUN echo a\\\n b\n")
    assert run_all(hcl, tmp_path) == "a b\n"


def test_also_quoted_heredoc_name_with_a_hyphen(tmp_path: Path) -> None:
    hcl, _ = imported(tmp_path, 'FROM alpine\nRUN cat <<"X-Y"\nhello $HOME\nX-Y\n')
    assert run_all(hcl, tmp_path) == "hello $HOME\n"


def test_also_long_file_names_keep_the_description_short(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    df = d / ("x" * 240 + ".Dockerfile")
    df.write_text("FROM alpine\nRUN true\n")
    out = tmp_path / "x.imgb.hcl"
    assert main(["import-dockerfile", str(df), "--name", "img", "-o", str(out)]) == 0
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "x.imgb.hcl").write_text(out.read_text())
    config, diags = validate_directory(repo)
    assert config is not None and not diags.has_errors(), render_human(diags, repo)


def test_also_one_warning_per_cause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "FROM alpine\n" + "".join(f"EXPOSE {8000 + k}\nRUN --mount=type=cache,target=/c echo {k}\n" for k in range(5))
    imported(tmp_path, text)
    err = capsys.readouterr().err
    assert err.count("Warning: Not carried over: EXPOSE") == 1
    assert err.count("Warning: RUN --mount=type=cache dropped") == 1
    assert "Lines 2, 4, 6, 8 and 10." in err
