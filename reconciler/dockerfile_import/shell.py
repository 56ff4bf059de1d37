"""Docker's variable expansion and word splitting (BuildKit's ``shell`` lexer), where Docker
applies it: FROM, ENV, ARG defaults, LABEL, WORKDIR, USER, COPY/ADD sources, destinations and
``--chown``/``--chmod``, EXPOSE, VOLUME, STOPSIGNAL. Never RUN, CMD or ENTRYPOINT: the shell
reads those.

The rules, which look like the POSIX shell's but are not it:

* ``'...'`` is literal; in ``"..."`` the escape character escapes only ``"``, ``$`` and itself;
  outside quotes it escapes any character (and is dropped at the end of the text).
* ``$name`` and ``${name}``; ``${name:-word}``, ``${name-word}``, ``${name:+word}``,
  ``${name+word}``, ``${name:?msg}``, ``${name?msg}``; ``${name#pat}``, ``${name##pat}``,
  ``${name%pat}``, ``${name%%pat}``; ``${name/pat/repl}``, ``${name//pat/repl}``. A name is letters,
  digits and ``_`` (or digits only, or one of ``@*#?-$!0``); ``$`` before anything else is literal.
* An unset variable expands to nothing (there is no error), unless ``skip_unset`` keeps it as
  written.
* Splitting into words happens after expansion: an unquoted expansion that holds blanks makes
  several words, a quoted one never does, and an empty quoted string makes no word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

SPECIAL_PARAMS = "@*#?-$!0"
# Go's unicode.IsSpace.
_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


class ShellError(Exception):
    """BuildKit refuses the text (an open quote, a bad substitution, ``${x:?}`` on an unset x)."""


@dataclass
class Expansion:
    text: str
    words: list[str]
    used: set[str] = field(default_factory=set)
    """Names that had a value."""
    unset: set[str] = field(default_factory=set)
    """Names referenced without a value (they expanded to nothing)."""


class _Words:
    def __init__(self) -> None:
        self.words: list[str] = []
        self.word = ""
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in _SPACE:
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word, self.in_word = "", False
        else:
            self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def done(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word, self.in_word = "", False
        return self.words


class Lexer:
    def __init__(
        self,
        escape: str = "\\",
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset: bool = False,
    ):
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset

    def expand(self, text: str, env: Mapping[str, str]) -> Expansion:
        return _Scan(self, text, env).run()

    def word(self, text: str, env: Mapping[str, str]) -> str:
        return self.expand(text, env).text

    def words(self, text: str, env: Mapping[str, str]) -> list[str]:
        return self.expand(text, env).words


class _Scan:
    def __init__(self, lexer: Lexer, text: str, env: Mapping[str, str]):
        self.lx = lexer
        self.text = text
        self.pos = 0
        self.env = env
        self.used: set[str] = set()
        self.unset: set[str] = set()

    def run(self) -> Expansion:
        text, words = self._until("")
        return Expansion(text, words, self.used, self.unset)

    # -- scanner ---------------------------------------------------------------------------------
    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> str:
        ch = self._peek()
        if ch:
            self.pos += 1
        return ch

    def _until(self, stop: str, raw_escapes: bool | None = None) -> tuple[str, list[str]]:
        raw_esc = self.lx.raw_escapes if raw_escapes is None else raw_escapes
        result: list[str] = []
        words = _Words()
        while self._peek():
            ch = self._peek()
            if stop and ch == stop:
                self._next()
                return "".join(result), words.done()
            if ch == "'":
                tmp = self._single()
                result.append(tmp)
                words.add_raw(tmp)
            elif ch == '"':
                tmp = self._double()
                result.append(tmp)
                words.add_raw(tmp)
            elif ch == "$":
                tmp = self._dollar()
                result.append(tmp)
                words.add_string(tmp)
            else:
                ch = self._next()
                if ch == self.lx.escape:
                    if raw_esc:
                        words.add_raw(ch)
                        result.append(ch)
                    ch = self._next()
                    if not ch:
                        break
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop:
            raise ShellError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.done()

    def _single(self) -> str:
        opening = self._next()
        out = [opening] if self.lx.raw_quotes else []
        while True:
            ch = self._next()
            if not ch:
                raise ShellError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.lx.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def _double(self) -> str:
        opening = self._next()
        out = [opening] if self.lx.raw_quotes else []
        while True:
            ch = self._peek()
            if not ch:
                raise ShellError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self._next()
                if self.lx.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
                continue
            ch = self._next()
            if ch == self.lx.escape:
                if self.lx.raw_escapes:
                    out.append(ch)
                nxt = self._peek()
                if not nxt:
                    continue
                if nxt in ('"', "$", self.lx.escape):
                    ch = self._next()
            out.append(ch)

    # -- variables -------------------------------------------------------------------------------
    def _lookup(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            if name not in SPECIAL_PARAMS and not name.isdecimal():
                self.used.add(name)
            return self.env[name], True
        if name not in SPECIAL_PARAMS and not name.isdecimal():
            self.unset.add(name)
        return "", False

    def _name(self) -> str:
        name = ""
        while self._peek():
            ch = self._peek()
            if not name and ch.isdecimal():
                while self._peek() and self._peek().isdecimal():
                    name += self._next()
                return name
            if not name and ch in SPECIAL_PARAMS:
                return self._next()
            if not (ch.isalpha() or ch.isdecimal() or ch == "_"):
                break
            name += self._next()
        return name

    def _dollar(self) -> str:
        self._next()
        if self._peek() != "{":
            name = self._name()
            if not name:
                return "$"
            value, found = self._lookup(name)
            if not found and self.lx.skip_unset:
                return "$" + name
            return value
        self._next()
        first = self._peek()
        if not first:
            raise ShellError("syntax error: missing '}'")
        if first in "{}:":
            raise ShellError("syntax error: bad substitution")
        name = self._name()
        ch = self._next()
        if not ch:
            raise ShellError("syntax error: missing '}'")
        if ch == "}":
            value, found = self._lookup(name)
            if not found and self.lx.skip_unset:
                return "${" + name + "}"
            return value
        if ch == "/":
            return self._replace(name)
        chs = ch
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self._next()
            chs += ch
        if ch not in ("+", "-", "?", "#", "%"):
            raise ShellError(f"unsupported modifier ({chs}) in substitution")
        pattern = ch in "#%"
        if null_is_unset and pattern:
            raise ShellError(f"unsupported modifier ({chs}) in substitution")
        try:
            word, _ = self._until("}", raw_escapes=pattern)
        except ShellError:
            if not self._peek():
                raise ShellError("syntax error: missing '}'") from None
            raise
        value, found = self._lookup(name)
        if self.lx.skip_unset and not found:
            return "${" + name + chs + word + "}"
        empty = not found or (null_is_unset and value == "")
        if ch == "-":
            return word if empty else value
        if ch == "+":
            return "" if empty else word
        if ch == "?":
            if not found:
                raise ShellError(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise ShellError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        greedy = word.startswith(ch)
        if greedy:
            word = word[1:]
        return _trim(value, word, prefix=ch == "#", greedy=greedy)

    def _replace(self, name: str) -> str:
        every = self._peek() == "/"
        if every:
            self._next()
        pattern, _ = self._until("/", raw_escapes=True)
        replacement, _ = self._until("}", raw_escapes=True)
        value, found = self._lookup(name)
        if self.lx.skip_unset and not found:
            return "${" + name + "/" + ("/" if every else "") + pattern + "/" + replacement + "}"
        rx = shell_pattern(pattern)
        out: list[str] = []
        i = 0
        while i <= len(value):
            end = _longest_match(rx, value, i)
            if end is None or (end == i and not pattern):
                if i < len(value):
                    out.append(value[i])
                i += 1
                continue
            out.append(replacement)
            if end == i:
                if i < len(value):
                    out.append(value[i])
                i += 1
            else:
                i = end
            if not every:
                out.append(value[i:])
                return "".join(out)
        return "".join(out)


def _longest_match(rx: re.Pattern[str], value: str, start: int) -> int | None:
    for end in range(len(value), start - 1, -1):
        if rx.fullmatch(value, start, end):
            return end
    return None


def _trim(value: str, pattern: str, *, prefix: bool, greedy: bool) -> str:
    rx = shell_pattern(pattern)
    n = len(value)
    cuts = range(n, -1, -1) if greedy else range(n + 1)
    for k in cuts:
        if prefix and rx.fullmatch(value, 0, k):
            return value[k:]
        if not prefix and rx.fullmatch(value, n - k, n):
            return value[: n - k]
    return value


def shell_pattern(pattern: str) -> re.Pattern[str]:
    """A shell glob (``*``, ``?``, ``[...]``, backslash escapes) as a regular expression."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] in "!^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 1
            if j >= len(pattern):
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                neg = body[:1] in ("!", "^")
                if neg:
                    body = body[1:]
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                out.append("[" + ("^" if neg else "") + body + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)
