"""The Dockerfile parser against BuildKit's own parser test files: each corpus case with a
``parse.expected`` (the ``result`` file next to the Dockerfile in moby/BuildKit, an AST dump)
must parse to the same dump. Plus the line-level rules the issue found broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgb.reconciler.dockerfile_import.instructions import arg_pairs, blank_words, key_values, parse_words
from imgb.reconciler.dockerfile_import.parser import (
    DockerfileError,
    Instruction,
    _instruction,
    parse,
    parse_json_form,
)

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/parse.expected"))


def go_quote(s: str) -> str:
    """Go's strconv.Quote."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append("\\" + "abfnrtv"["\a\b\f\n\r\t\v".index(ch)])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def values(ins: Instruction, escape: str) -> list[str]:
    kw = ins.keyword
    if kw in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
        if ins.json is not None:
            return ins.json
        return [ins.args] if ins.args else []
    if kw in ("COPY", "ADD", "VOLUME"):
        return ins.json if ins.json is not None else blank_words(ins.args)
    if kw in ("FROM", "EXPOSE"):
        return blank_words(ins.args)
    if kw in ("ENV", "LABEL"):
        pairs, _ = key_values(ins, escape)
        return [x for kv in pairs for x in kv]
    if kw == "ARG":
        return [k if v is None else f"{k}={v}" for k, v in arg_pairs(ins, escape)]
    if kw in ("MAINTAINER", "USER", "WORKDIR", "STOPSIGNAL"):
        return [ins.args] if ins.args else []
    if kw == "HEALTHCHECK":
        if not ins.args:
            return []
        first, _, rest = ins.args.partition(" ")
        rest = rest.strip()
        form, _ = parse_json_form(rest)
        return [first, *(form if form is not None else ([rest] if rest else []))]
    return []


def dump(ins: Instruction, escape: str) -> str:
    head = ins.keyword.lower()
    if ins.flags:
        head += " [" + " ".join(go_quote(f) for f in ins.flags) + "]"
    if ins.keyword == "ONBUILD":
        sub = _instruction(ins.args, [], ins.line, ins.line, [ins.args])
        return f"({head} {dump(sub, escape)})"
    return "(" + " ".join([head, *(go_quote(v) for v in values(ins, escape))]) + ")"


@pytest.mark.parametrize("case", CASES)
def test_parse_like_buildkit(case: str) -> None:
    parsed = parse((CORPUS / case / "Dockerfile").read_text(encoding="utf-8"))
    got = "".join(dump(ins, parsed.escape) + "\n" for ins in parsed.instructions)
    assert got == (CORPUS / case / "parse.expected").read_text(encoding="utf-8")


def test_there_are_parser_cases() -> None:
    assert len(CASES) >= 25


def args(text: str) -> list[str]:
    return [ins.args for ins in parse(text).instructions]


def test_options_on_continuation_lines() -> None:
    """Defect 1: options after a continuation are still options."""
    ins = parse("FROM x\nRUN \\\n  --mount=type=cache,target=/var/cache/apt \\\n  apt-get update\n").instructions[1]
    assert ins.flags == ["--mount=type=cache,target=/var/cache/apt"]
    assert ins.args == "apt-get update"
    ins = parse("FROM x\nCOPY \\\n  --from=build /out /out\n").instructions[1]
    assert ins.flags == ["--from=build"] and ins.args == "/out /out"


def test_end_of_options() -> None:
    """Defect 9: ``--`` ends the options and is not a source."""
    ins = parse("COPY -- a.txt /a.txt\n").instructions[0]
    assert ins.flags == [] and blank_words(ins.args) == ["a.txt", "/a.txt"]


def test_byte_order_mark() -> None:
    """Defect 7."""
    assert [i.keyword for i in parse("\ufeffFROM busybox\nRUN true\n").instructions] == ["FROM", "RUN"]


def test_continuation_at_end_of_file() -> None:
    """Defect 8: a trailing escape character on the last line ends the instruction."""
    ins = parse("FROM x\nENV A=1 \\\n    B=2 \\\n").instructions[1]
    assert ins.args == "A=1     B=2"
    assert parse_words(ins.args, "\\") == ["A=1", "B=2"]


@pytest.mark.parametrize("sep", ["\f", "\x85", "\u2028", "\u2029", "\v", "\x1c"])
def test_lines_end_at_newline_only(sep: str) -> None:
    """Defect 11: form feed, NEL, the Unicode line separators do not end a line."""
    got = args(f"FROM x\nRUN echo a{sep}b\n")
    assert got == ["x", f"echo a{sep}b"]


def test_escape_directive_after_an_unknown_one_is_a_comment() -> None:
    """Also: the first line that is not a known directive ends the directives."""
    assert parse("# foo=bar\n# escape=`\nFROM x\n").escape == "\\"
    assert parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n").escape == "`"
    assert parse("#escape=`\n\nFROM x\n").escape == "`"


def test_directive_errors() -> None:
    with pytest.raises(DockerfileError, match="only one escape"):
        parse("# escape=`\n# escape=\\\nFROM x\n")
    with pytest.raises(DockerfileError, match="invalid escape token"):
        parse("# escape=``\nFROM x\n")


def test_heredoc_names() -> None:
    """Also: a quoted heredoc name with a hyphen; quoting turns expansion off."""
    ins = parse('FROM x\nRUN cat <<"X-Y" > /f\nhello $A\nX-Y\nRUN true\n').instructions
    assert [h.name for h in ins[1].heredocs] == ["X-Y"]
    assert ins[1].heredocs[0].content == "hello $A\n" and not ins[1].heredocs[0].expand
    assert ins[2].args == "true"
    two = parse("FROM x\nRUN <<A cat - <<-B\na\nA\n\tb\n\tB\n").instructions[1]
    assert [(h.name, h.chomp, h.body()) for h in two.heredocs] == [("A", False, "a\n"), ("B", True, "b\n")]


def test_unterminated_heredoc() -> None:
    with pytest.raises(DockerfileError, match="unterminated heredoc"):
        parse("FROM x\nRUN <<EOF\necho\n")


def test_comments_and_blank_lines_inside_a_continuation() -> None:
    parsed = parse("FROM x\nRUN a \\\n# c \\\n\n  b\n")
    assert parsed.instructions[1].args == "a   b"
    assert parsed.warnings and parsed.warnings[0][1] == "Empty continuation line"


def test_escaped_escape_character_does_not_continue() -> None:
    assert args("FROM x\nRUN echo a\\\\\nRUN b\n") == ["x", "echo a\\\\", "b"]
    assert args("# escape=`\nFROM x\nRUN echo a `\n  b\n") == ["x", "echo a   b"]


def test_onbuild_heredoc_bodies_are_not_instructions() -> None:
    parsed = parse("FROM x\nONBUILD RUN <<EOF\nFROM y\nEOF\nRUN true\n")
    assert [i.keyword for i in parsed.instructions] == ["FROM", "ONBUILD", "RUN"]
    assert parsed.instructions[1].heredocs[0].content == "FROM y\n"
