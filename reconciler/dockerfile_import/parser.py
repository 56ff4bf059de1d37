"""Dockerfile text into instructions, as BuildKit's parser reads it.

The rules (BuildKit's ``frontend/dockerfile/parser``), each of which differs from Image Builder's
command language in ``imgb.commands.parse`` (so the two parsers share no code on purpose):

* Lines end at ``\\n`` only (``\\r`` before it is dropped); a UTF-8 byte-order mark is ignored.
* Parser directives (``# escape=``, ``# syntax=``, ``# check=``) are read only from the first lines;
  the first line that is not a known directive (an unknown one, a comment, a blank line, an
  instruction) ends them, so a later ``# escape=`` is a plain comment.
* An instruction continues onto the next line when its line ends with the escape character (then
  blanks), unless that character is itself escaped. The escape character and the newline are
  removed and the lines are concatenated as they are: no separator is added. Comment lines and
  blank lines inside a continued instruction are skipped. A continuation on the last line of the
  file simply ends the instruction.
* The keyword is the first word; options (``--name=value`` words) follow it, before the
  arguments, wherever the continuation lines put them; a ``--`` word ends them.
* RUN, COPY and ADD in shell form may open heredocs (``<<EOF``, ``<<-EOF``, ``<<"EOF"``, a number
  before ``<<``): their bodies are the lines after the instruction, up to a line that is exactly
  the delimiter word.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from imgb.reconciler.dockerfile_import.shell import Lexer, ShellError

KNOWN_DIRECTIVES = ("syntax", "escape", "check")
HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")
_DIRECTIVE = re.compile(r"^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$")
_HEREDOC_WORD = re.compile(r"^([0-9]*)<<(-?)([^<]*)$")
_WORD_SPLIT = re.compile(r"[\t\v\f\r ]+")
_BOM = "\ufeff"
# Go's unicode.IsSpace: what BuildKit trims at the start of a line and around an instruction.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


class DockerfileError(Exception):
    """BuildKit would refuse the Dockerfile: ``line`` is 1-based."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    """The body lines, each with its newline, as written (tabs not yet removed for ``<<-``)."""
    expand: bool
    """The delimiter was not quoted: variables in the body expand."""
    chomp: bool
    """``<<-``: leading tabs are removed from the body lines."""
    fd: int | None = None
    line: int = 0
    """The body's first line."""

    def body(self) -> str:
        return re.sub(r"(?m)^\t+", "", self.content) if self.chomp else self.content


@dataclass
class Instruction:
    keyword: str
    """Upper case."""
    flags: list[str]
    """Option words without their quotes, in order: ``--from=build``."""
    args: str
    """The rest of the (continuation-joined) line after the keyword and the options, trimmed."""
    line: int
    end_line: int
    original: str
    """The joined line, keyword included."""
    json: list[str] | None = None
    """The JSON (exec) form of RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME."""
    json_error: str | None = None
    """The arguments look like JSON but are an array of something other than strings."""
    heredocs: list[Heredoc] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)
    """Offsets in ``args`` where a continuation joined two physical lines."""
    raw_lines: list[str] = field(default_factory=list)

    def first_line(self) -> str:
        text = self.raw_lines[0].strip() if self.raw_lines else f"{self.keyword} {self.args}"
        return text if len(text) <= 100 else text[:97] + "..."


@dataclass
class Parsed:
    escape: str
    directives: dict[str, tuple[str, int]]
    instructions: list[Instruction]
    warnings: list[tuple[int, str, str]]
    """(line, summary, detail): what BuildKit warns about but builds."""


def split_lines(text: str) -> list[str]:
    """Lines as BuildKit's scanner sees them: split at \\n only, line ends (\\r\\n) removed."""
    if text.startswith(_BOM):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.rstrip("\r") for ln in lines]


class _Directives:
    def __init__(self) -> None:
        self.done = False
        self.escape = "\\"
        self.found: dict[str, tuple[str, int]] = {}
        self.continuation = self._continuation_re("\\")

    @staticmethod
    def _continuation_re(esc: str) -> re.Pattern[str]:
        e = re.escape(esc)
        return re.compile(rf"([^{e}]){e}[ \t]*$|^{e}[ \t]*$")

    def see(self, line: str, number: int) -> None:
        if self.done:
            return
        m = _DIRECTIVE.match(line)
        if m is None or m.group(1).lower() not in KNOWN_DIRECTIVES:
            self.done = True
            return
        key, value = m.group(1).lower(), m.group(2)
        if key in self.found:
            raise DockerfileError(number, f"only one {key} parser directive can be used")
        self.found[key] = (value, number)
        if key == "escape":
            if value not in ("\\", "`"):
                raise DockerfileError(number, f"invalid escape token '{value}' does not match ` or \\")
            self.escape = value
            self.continuation = self._continuation_re(value)

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        """(line without its continuation character, whether the instruction ends here)."""
        m = self.continuation.search(line)
        if m is None:
            return line, True
        return line[: m.start()] + (m.group(1) or ""), False


def _is_comment(line: str) -> bool:
    return line.lstrip(GO_SPACE).startswith("#")


def parse(text: str) -> Parsed:
    lines = split_lines(text)
    d = _Directives()
    out: list[Instruction] = []
    warnings: list[tuple[int, str, str]] = []
    i = 0
    while i < len(lines):
        number = i + 1
        token = lines[i].lstrip(GO_SPACE)
        d.see(token, number)
        first = "" if token.startswith("#") else token
        i += 1
        line, ended = d.trim_continuation(first)
        if ended and line == "":
            continue
        raw = [lines[i - 1]]
        breaks: list[int] = []
        empty_continuation = False
        while not ended and i < len(lines):
            nxt = lines[i]
            i += 1
            if _is_comment(nxt):
                continue
            if not nxt.strip(GO_SPACE):
                empty_continuation = True
                continue
            raw.append(nxt)
            breaks.append(len(line))
            piece, ended = d.trim_continuation(nxt)
            line += piece
        if empty_continuation:
            warnings.append(
                (
                    number,
                    "Empty continuation line",
                    "A blank line inside a continued instruction is skipped (BuildKit warns it will become an "
                    "error). Remove the blank line.",
                )
            )
        ins = _instruction(line, breaks, number, i, raw)
        if _can_have_heredocs(ins):
            i = _read_heredocs(ins, lines, i)
        out.append(ins)
    return Parsed(d.escape, d.found, out, warnings)


def _instruction(line: str, breaks: list[int], start: int, end: int, raw: list[str]) -> Instruction:
    stripped = line.strip(GO_SPACE)
    lead = len(line) - len(line.lstrip(GO_SPACE))
    parts = _WORD_SPLIT.split(stripped, maxsplit=1)
    keyword = parts[0].upper()
    rest = parts[1] if len(parts) == 2 else ""
    rest_at = lead + (len(stripped) - len(rest))
    flags, args_at = extract_flags(rest)
    args_raw = rest[args_at:]
    args = args_raw.strip(GO_SPACE)
    offset = rest_at + args_at + (len(args_raw) - len(args_raw.lstrip(GO_SPACE)))
    ins = Instruction(
        keyword,
        flags,
        args,
        start,
        end,
        line,
        breaks=[b - offset for b in breaks if 0 < b - offset < len(args)],
        raw_lines=raw,
    )
    if keyword in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"):
        ins.json, ins.json_error = parse_json_form(args)
    return ins


def onbuild_trigger(ins: Instruction) -> Instruction:
    """The instruction an ONBUILD holds, as BuildKit reads it again in a stage built FROM the
    ONBUILD's stage: its text, heredoc bodies included, parsed as a Dockerfile of its own."""
    text = re.sub(r"(?i)^[ \t]*ONBUILD[ \t]*", "", ins.original)
    text += "".join("\n" + h.content + h.name for h in ins.heredocs)
    inner = parse(text + "\n").instructions
    if len(inner) != 1:
        raise DockerfileError(ins.line, "an ONBUILD trigger must be a single instruction")
    trigger = inner[0]
    trigger.line, trigger.end_line, trigger.raw_lines = ins.line, ins.end_line, ins.raw_lines
    return trigger


def _can_have_heredocs(ins: Instruction) -> bool:
    """RUN, COPY and ADD in shell form, also as the instruction an ONBUILD holds."""
    if ins.keyword == "ONBUILD":
        inner = _instruction(ins.args, [], ins.line, ins.end_line, [])
        return inner.keyword in HEREDOC_KEYWORDS and inner.json is None
    return ins.keyword in HEREDOC_KEYWORDS and ins.json is None


def parse_json_form(args: str) -> tuple[list[str] | None, str | None]:
    """BuildKit's JSON form: an array of strings at the start of the arguments (what follows the
    array is ignored, as Go's decoder does). Anything else is the shell form, except an array of
    something other than strings, which BuildKit refuses."""
    text = args.lstrip(GO_SPACE)
    if not text.startswith("["):
        return None, None
    try:
        value, _ = json.JSONDecoder(parse_constant=_no_constant).raw_decode(text)
    except (json.JSONDecodeError, ValueError):
        return None, None
    if not isinstance(value, list):
        return None, None
    if not all(isinstance(v, str) for v in value):
        return None, "the JSON array holds something other than strings"
    return value, None


def _no_constant(name: str) -> None:
    raise ValueError(name)  # Go's JSON has no NaN or Infinity: not JSON, so the shell form


def extract_flags(rest: str) -> tuple[list[str], int]:
    """The ``--option`` words at the start of ``rest`` (quotes and backslashes processed) and the
    offset where the arguments begin. A ``--`` word ends the options and is dropped."""
    words: list[str] = []
    pos = 0
    n = len(rest)
    while True:
        while pos < n and rest[pos] in GO_SPACE:
            pos += 1
        if pos >= n or not rest.startswith("--", pos):
            return words, pos
        word, quoted, quote = "", False, ""
        while pos < n:
            ch = rest[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and pos + 1 < n:
                    pos += 1
                    word += rest[pos]
                elif ch != "\\":
                    word += ch
                pos += 1
                continue
            if ch in GO_SPACE:
                break
            if ch in "'\"":
                quote, quoted = ch, True
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    word += rest[pos]
            else:
                word += ch
            pos += 1
        if word == "--":
            return words, pos
        if word or quoted:
            words.append(word)


def _read_heredocs(ins: Instruction, lines: list[str], i: int) -> int:
    for name, expand, chomp, fd in heredoc_words(ins.original):
        start = i
        body: list[str] = []
        while True:
            if i >= len(lines):
                raise DockerfileError(ins.line, f"unterminated heredoc <<{name}: no line {name} closes it")
            ln = lines[i]
            i += 1
            check = ln.lstrip("\t") if chomp else ln
            if check == name:
                break
            body.append(ln + "\n")
        ins.heredocs.append(Heredoc(name, "".join(body), expand, chomp, fd, start + 1))
        ins.end_line = i
    return i


def heredoc_words(line: str) -> list[tuple[str, bool, bool, int | None]]:
    """(name, expand, chomp, fd) of each heredoc the instruction line opens: a word (as the shell
    lexer splits the line, quotes kept) that is ``<<`` plus one word, optionally after ``-`` and
    a file descriptor number."""
    raw = Lexer("\\", raw_quotes=True, raw_escapes=True, skip_unset=True)
    try:
        words = raw.words(line, {})
    except ShellError:
        return []
    found = []
    for word in words:
        m = _HEREDOC_WORD.match(word)
        if m is None or not m.group(3):
            continue
        rest = m.group(3)
        try:
            plain = Lexer("\\", skip_unset=True).words(rest, {})
            quoted = Lexer("\\", raw_quotes=True, skip_unset=True).words(rest, {})
        except ShellError:
            continue
        if len(plain) != 1 or len(quoted) != 1:
            continue
        count = plain[0].count("'") + plain[0].count('"')
        raw_count = quoted[0].count("'") + quoted[0].count('"')
        fd = int(m.group(1)) if m.group(1) else None
        found.append((plain[0], count == raw_count, m.group(2) == "-", fd))
    return found


def heredoc_token(word: str) -> bool:
    """The whole argument is one heredoc opener (``RUN <<EOF``): the body is the script."""
    m = _HEREDOC_WORD.match(word.strip(GO_SPACE))
    if m is None or not m.group(3):
        return False
    try:
        return len(Lexer("\\", skip_unset=True).words(m.group(3), {})) == 1
    except ShellError:
        return False
