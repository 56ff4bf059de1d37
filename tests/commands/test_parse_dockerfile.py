"""parse_dockerfile: continuation lines, comments, and each command's argument forms."""

from __future__ import annotations

from imgb.commands.parse import parse_dockerfile
from imgb.unknown import marker


def test_continuations_comments_and_blank_lines_are_handled() -> None:
    text = "# setup\n\nRUN echo hello;\\\n    echo world\n  # indented comment\nUSER app\n"
    ins, problems = parse_dockerfile(text)
    assert problems == []
    assert [(i.name, i.line, i.end_line) for i in ins] == [("RUN", 3, 4), ("USER", 6, 6)]
    # RUN keeps the backslash and newline: the shell sees them.
    assert ins[0].args == "echo hello;\\\n    echo world"


def test_comment_line_inside_a_continuation_is_skipped() -> None:
    ins, _ = parse_dockerfile("LABEL a=1 \\\n# note\n  b=2\n")
    assert ins[0].pairs == (("a", "1"), ("b", "2"))
    assert ins[0].end_line == 3


def test_trailing_continuation_is_a_problem() -> None:
    ins, problems = parse_dockerfile("RUN true \\")
    assert len(ins) == 1
    assert [p.line for p in problems] == [1]


def test_env_both_forms() -> None:
    ins, problems = parse_dockerfile('ENV LANG C.UTF-8\nENV a="1 2" b=3\nENV K "quoted value"\n')
    assert problems == []
    assert [i.pairs for i in ins] == [
        (("LANG", "C.UTF-8"),),
        (("a", "1 2"), ("b", "3")),
        (("K", "quoted value"),),
    ]


def test_env_problems() -> None:
    _, problems = parse_dockerfile('ENV KEY\nENV 1x=2\nENV a="unterminated\nENV a=1 junk\n')
    assert [p.line for p in problems] == [1, 2, 3, 4]
    assert all("InvalidCommandContent.ENV" in p.detail for p in problems)


def test_label_pairs_across_lines() -> None:
    ins, problems = parse_dockerfile('LABEL user="username"\\\ndate="2020-11-11" key="value"\n')
    assert problems == []
    assert ins[0].pairs == (("user", "username"), ("date", "2020-11-11"), ("key", "value"))


def test_cmd_and_entrypoint_forms() -> None:
    ins, problems = parse_dockerfile('CMD ["httpd", "-f"]\nENTRYPOINT /bin/run --x\nCMD [broken\n')
    assert ins[0].exec_form == ("httpd", "-f")
    assert ins[1].exec_form is None and ins[1].args == "/bin/run --x"
    assert [(p.line, p.summary) for p in problems] == [(3, "Invalid CMD exec form")]


def test_copy_sources_and_destination() -> None:
    ins, problems = parse_dockerfile(
        'COPY files/a.conf files/b.conf /etc/app/\nCOPY ["with space.txt", "/opt/"]\nCOPY only\nCOPY --chown=a x y\n'
    )
    assert ins[0].copy_sources == ("files/a.conf", "files/b.conf") and ins[0].copy_dest == "/etc/app/"
    assert ins[1].copy_sources == ("with space.txt",) and ins[1].copy_dest == "/opt/"
    assert [(p.line, p.summary) for p in problems] == [
        (3, "COPY without a destination"),
        (4, "Unsupported COPY option"),
    ]


def test_component_reference_and_parameters() -> None:
    text = f'COMPONENT {marker("component.agent.id")} --port 8080 --name="a b" --flag false\nCOMPONENT ic-abc123\n'
    ins, problems = parse_dockerfile(text)
    assert problems == []
    assert ins[0].component_ref == marker("component.agent.id")
    assert ins[0].component_params == (("port", "8080"), ("name", "a b"), ("flag", "false"))
    assert ins[1].component_ref == "ic-abc123" and ins[1].component_params == ()


def test_references_with_quotes_survive_word_splitting() -> None:
    """An instance of a for_each component is referenced as component.agent["x"].id: its quotes
    are part of the reference, not shell quoting."""
    ref = marker('component.agent["the x"].id')
    ins, problems = parse_dockerfile(f"COMPONENT {ref} --endpoint {ref}\nENV AGENT={ref} B='c d'\n")
    assert problems == []
    assert ins[0].component_ref == ref
    assert ins[0].component_params == (("endpoint", ref),)
    assert ins[1].pairs == (("AGENT", ref), ("B", "c d"))


def test_component_parameter_problems() -> None:
    _, problems = parse_dockerfile("COMPONENT ic-a stray\nCOMPONENT ic-a --x\n")
    assert [(p.line, p.summary) for p in problems] == [
        (1, "Malformed COMPONENT parameter"),
        (2, "COMPONENT parameter without a value"),
    ]


def test_keywords_are_case_insensitive_and_unknown_ones_still_parse() -> None:
    ins, problems = parse_dockerfile("run echo hi\nRUNN echo typo\nRESTART\n")
    assert [i.name for i in ins] == ["RUN", "RUNN", "RESTART"]
    assert ins[2].args == ""
    assert problems == []


def test_user_with_more_than_one_word() -> None:
    _, problems = parse_dockerfile("USER app extra\n")
    assert [p.summary for p in problems] == ["USER takes one user name"]
