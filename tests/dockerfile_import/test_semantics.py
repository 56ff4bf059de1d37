"""BuildKit semantics beyond the reported defects, each as a small Dockerfile whose translation is
run the way Image Builder runs it (/bin/sh -c per RUN, ENV applied) or inspected where only the
commands matter."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgb.commands.parse import parse_dockerfile
from imgb.reconciler.dockerfile_import import BuildContext, Options, import_dockerfile
from tests.dockerfile_import.translation import component_content, run_commands


def imported(text: str, tmp_path: Path | None = None, files: dict[str, str] | None = None, **opts: object) -> str:
    options = Options(platform="linux/amd64", build_platform="linux/amd64")
    for k, v in opts.items():
        setattr(options, k, v)
    if files is not None and tmp_path is not None:
        for rel, body in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(body)
        options.context = BuildContext.load(tmp_path)
    result = import_dockerfile(text, "Dockerfile", name="sem", options=options)
    assert result.hcl is not None, [(d.summary, d.detail) for d in result.diagnostics.items]
    return component_content(result.hcl)


def refused(text: str) -> str:
    result = import_dockerfile(text, "Dockerfile", name="sem", options=Options(platform="linux/amd64"))
    assert result.hcl is None
    return next(d.summary for d in result.diagnostics.items if d.severity == "error")


def run(content: str, cwd: Path) -> str:
    code, out = run_commands(content, cwd)
    assert code == 0
    return out


def commands(content: str) -> list[tuple[str, str]]:
    instructions, _ = parse_dockerfile(content)
    return [(i.name, i.args) for i in instructions]


@pytest.mark.parametrize(
    ("dockerfile", "output"),
    [
        # ENV pairs expand with the values before the instruction.
        ("ENV A=1\nENV A=2 B=$A\nRUN echo $A $B\n", "2 1\n"),
        # An ARG after an ENV of the same name wins in RUN; an ENV after an ARG wins too.
        ("ENV V=env\nARG V=arg\nRUN echo $V\nENV V=env2\nRUN echo $V\n", "arg\nenv2\n"),
        # A global ARG needs a re-declaration in the stage; its value comes with it.
        ("ARG G=global\nFROM busybox\nRUN echo ${G:-unset}\nARG G\nRUN echo $G\n", "unset\nglobal\n"),
        # Defaults expand with earlier values; ${x:+word} and ${x%suffix} follow Docker.
        ("ARG A=1\nARG B=${A}0 C=${A:+set} D=file.tar.gz\nRUN echo $B $C ${D%%.*}\n", "10 set file\n"),
        # An ARG without a value stays unset (not empty) in RUN.
        ("ARG U\nRUN echo ${U-unset}\n", "unset\n"),
        # The exec form sees ARG values in its environment, but no shell expands its words.
        ('ARG V=x\nRUN ["sh", "-c", "echo $V \\"$0\\""]\n', "x sh\n"),
        # Single quotes and escapes in RUN text are the shell's business.
        ("ARG V=x\nRUN echo '$V' \\$V \"$V\"\n", "$V $V x\n"),
        # Platform arguments are declared per stage; BUILDPLATFORM defaults to the target's here.
        ("RUN echo ${TARGETOS:-unset}\nARG TARGETARCH BUILDPLATFORM\nRUN echo $TARGETARCH $BUILDPLATFORM\n",
         "unset\namd64 linux/amd64\n"),
    ],
)
def test_run_sees_what_buildkit_gives_it(dockerfile: str, output: str, tmp_path: Path) -> None:
    assert run(imported("FROM busybox\n" + dockerfile if not dockerfile.startswith("ARG G") else dockerfile), tmp_path) == output


def test_build_args_and_proxies(tmp_path: Path) -> None:
    content = imported("FROM busybox\nARG V=default\nRUN echo $V ${HTTP_PROXY:-none} ${UNDECLARED:-none}\n",
                       build_args={"V": "given", "HTTP_PROXY": "http://p:3128", "UNDECLARED": "x"})
    assert run(content, tmp_path) == "given http://p:3128 none\n"


def test_platform_option(tmp_path: Path) -> None:
    content = imported("FROM busybox\nARG TARGETPLATFORM TARGETARCH TARGETVARIANT\nRUN echo $TARGETPLATFORM $TARGETARCH $TARGETVARIANT\n",
                       platform="linux/arm/v7")
    assert run(content, tmp_path) == "linux/arm/v7 arm v7\n"


def test_target_stage_and_chain() -> None:
    text = "FROM busybox AS a\nRUN echo a\nFROM a AS b\nRUN echo b\nFROM busybox AS c\nRUN echo c\n"
    assert [a for n, a in commands(imported(text, target="b")) if n == "RUN"] == ["echo a", "echo b"]
    assert [a for n, a in commands(imported(text)) if n == "RUN"] == ["echo c"]


def test_base_image_working_directory_is_kept_relative(tmp_path: Path) -> None:
    """golang's image works in /go: COPY . . and WORKDIR app land there in Docker; imgb resolves
    relative paths in the same directory, so they stay relative."""
    content = imported("FROM golang:1.22\nCOPY a.go .\nWORKDIR app\nCOPY a.go ./\n", tmp_path, files={"a.go": "package a\n"})
    assert commands(content) == [("COPY", "a.go ./"), ("WORKDIR", "app"), ("COPY", "a.go ./")]


def test_wildcard_copy_onto_a_file_keeps_the_last_match(tmp_path: Path) -> None:
    content = imported("FROM busybox\nCOPY *.jar app.jar\n", tmp_path, files={"a.jar": "a", "b.jar": "b"})
    assert commands(content) == [("COPY", "a.jar /app.jar"), ("COPY", "b.jar /app.jar")]


def test_dockerignore_exceptions_need_the_directory_in_the_pattern(tmp_path: Path) -> None:
    files = {"keep/a.txt": "a", "keep/b.txt": "b", "drop/a.txt": "a", ".dockerignore": "keep\ndrop\n!keep/a.txt\n!*/b.txt\n"}
    content = imported("FROM busybox\nCOPY . /ctx/\n", tmp_path, files=files)
    copies = [a for n, a in commands(content) if n == "COPY"]
    # keep/ is searched (a ! pattern names it), so !*/b.txt re-includes keep/b.txt; drop/ is not.
    assert copies == [".dockerignore /ctx/", "keep/a.txt keep/b.txt /ctx/keep/"]


@pytest.mark.parametrize(
    ("dockerfile", "summary"),
    [
        ("FROM busybox\nCOPY --user=me a /a\n", "Invalid COPY"),
        ("FROM busybox\nCOPY --chmod=17777 a /a\n", "Invalid COPY"),  # octal up to 07777
        ("FROM busybox\nCOPY --chmod=rwx a /a\n", "Invalid COPY"),  # neither octal nor symbolic
        ("FROM busybox\nARG A\nENV B=${A:?unset}\n", "Invalid variable use in ENV"),
        ("FROM busybox\nENV B=${A:-two words}\n", "Invalid ENV"),  # ENV words split at blanks before expansion
        ("FROM busybox AS 1st\nRUN true\n", "Invalid FROM"),
        # An image reference docker build cannot parse: an ARG without a value, upper case.
        ("ARG V\nFROM alpine:${V}\nRUN true\n", "Invalid base image"),
        ("ARG V=${V}\nFROM alpine:$V\nRUN true\n", "Invalid base image"),
        ("FROM Ubuntu\nRUN true\n", "Invalid base image"),
        ("FROM busybox\nCOPY a b /file\n", "COPY of several sources into a file"),
        ("FROM busybox\nFOO bar\n", 'Unknown instruction "FOO"'),
        ("# escape=x\nFROM busybox\n", "BuildKit refuses this Dockerfile"),
        ("FROM busybox\nRUN [1]\n", "Invalid RUN"),
        ("FROM busybox\nSHELL /bin/bash -c\n", "Invalid SHELL"),
        # A stage the target does not need is not built, but BuildKit parses it.
        ("FROM busybox AS unused\nCOPY --nope=1 a /a\nFROM busybox\nRUN true\n", "Invalid COPY"),
    ],
)
def test_what_buildkit_refuses_is_refused(dockerfile: str, summary: str) -> None:
    assert refused(dockerfile) == summary


def test_secret_like_build_arguments_are_named_not_shown() -> None:
    result = import_dockerfile("FROM busybox\nARG NPM_TOKEN=abc123\nARG VERSION=1\nRUN true\n", "Dockerfile", name="sem",
                               options=Options(platform="linux/amd64"))
    text = " ".join(f"{d.summary}: {d.detail}" for d in result.diagnostics.items)
    assert "A build argument that looks like a secret" in text
    assert "abc123" not in text and "NPM_TOKEN=(not shown)" in text and "VERSION=1" in text


def test_copy_exclude_patterns_are_relative_to_what_is_copied(tmp_path: Path) -> None:
    files = {"x/a.txt": "a", "x/b.md": "b", "x/src/m.go": "m", "x/src/m.c": "c", "home.txt": "h", "home.md": "h"}
    content = imported("FROM busybox\nCOPY --exclude=*.txt x /ex/\nCOPY --exclude=src/*.go x /ex2/\n"
                       "COPY --exclude=*.txt hom* /mydir/\nCOPY --exclude=x/a.txt x /ex3/\n", tmp_path, files=files)
    assert [a for n, a in commands(content) if n == "COPY"] == [
        "x/b.md /ex/", "x/src/ /ex/src/",  # a directory's contents: relative to it
        "x/a.txt x/b.md /ex2/", "x/src/m.c /ex2/src/",
        "home.md /mydir/",  # a wildcard's matches: relative to the wildcard's directory
        "x/ /ex3/",  # x/a.txt names nothing inside x
    ]


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        # An ENTRYPOINT clears the CMD of the stage it is built FROM (BuildKit tracks CMD per stage).
        ('FROM busybox AS base\nCMD ["echo", "base"]\nFROM base\nENTRYPOINT ["top", "-b"]\n', ['ENTRYPOINT ["top", "-b"]']),
        # ...but not a CMD of its own stage, before or after it.
        ('FROM busybox\nCMD ["-c"]\nENTRYPOINT ["top"]\n', ['CMD ["-c"]', 'ENTRYPOINT ["top"]']),
        ('FROM busybox AS base\nCMD ["a"]\nFROM base\nENTRYPOINT ["top"]\nCMD ["b"]\n', ['ENTRYPOINT ["top"]', 'CMD ["b"]']),
        # CMD [] clears an earlier CMD of the Dockerfile.
        ('FROM busybox AS base\nCMD ["a"]\nFROM base\nCMD []\nRUN true\n', []),
    ],
)
def test_cmd_and_entrypoint_across_stages(dockerfile: str, expected: list[str]) -> None:
    assert [f"{n} {a}" for n, a in commands(imported(dockerfile)) if n in ("CMD", "ENTRYPOINT")] == expected


def test_onbuild_triggers_of_a_stage_run_in_the_stage_built_from_it(tmp_path: Path) -> None:
    text = ("FROM busybox AS base\nONBUILD RUN echo trigger\nONBUILD ENV T=1\nONBUILD RUN <<EOF\necho heredoc $T\nEOF\n"
            "RUN echo base\nFROM base\nRUN echo child $T\nONBUILD RUN echo never\n")
    assert run(imported(text), tmp_path) == "base\ntrigger\nheredoc 1\nchild 1\n"
    # Only the next stage runs them; the target's own ONBUILD stays for images built FROM the result.
    assert run(imported(text, target="base"), tmp_path) == "base\n"
    assert refused("FROM busybox AS base\nONBUILD FROM alpine\nFROM base\n") == "Invalid ONBUILD"


def test_a_misspelt_instruction_gets_a_suggestion() -> None:
    result = import_dockerfile("FROM busybox\nRUNN echo hi\n", "Dockerfile", name="sem", options=Options(platform="linux/amd64"))
    assert result.hcl is None
    error = next(d for d in result.diagnostics.items if d.severity == "error")
    assert error.summary == 'Unknown instruction "RUNN"' and 'Did you mean "RUN"?' in error.detail


def test_symbolic_chmod_is_applied_as_chmod_applies_it(tmp_path: Path) -> None:
    content = imported("FROM busybox\nCOPY --chmod=u=rwx,go=rx a.sh /app/\n", tmp_path, files={"a.sh": "x"})
    assert ("RUN", "chmod u=rwx,go=rx /app/a.sh") in commands(content)
