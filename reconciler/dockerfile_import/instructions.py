"""The arguments and options of each instruction, as BuildKit's ``instructions`` package reads
them from a parsed line (before any variable is expanded).

* ENV and LABEL take ``key=value`` words, or the legacy ``KEY value`` form (the rest of the line
  is the value); ARG takes ``name`` and ``name=default`` words. Words keep their quotes and escape
  characters here: expansion removes them later.
* COPY, ADD and VOLUME split their shell form at blanks only (quotes are not word boundaries; each
  word is expanded on its own).
* Options are ``--name=value`` words; booleans may omit ``=value``; some options repeat. An option
  an instruction does not know is an error, as in BuildKit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from imgb.reconciler.dockerfile_import.parser import GO_SPACE, Instruction

_BLANKS = re.compile(r"[\t\v\f\r ]+")

# Option name -> kind ("string", "bool", "strings" for repeatable ones), per instruction.
FLAGS: dict[str, dict[str, str]] = {
    "FROM": {"platform": "string"},
    "RUN": {"mount": "strings", "network": "string", "security": "string", "device": "strings"},
    "COPY": {
        "from": "string",
        "chown": "string",
        "chmod": "string",
        "link": "bool",
        "parents": "bool",
        "exclude": "strings",
    },
    "ADD": {
        "chown": "string",
        "chmod": "string",
        "link": "bool",
        "keep-git-dir": "bool",
        "checksum": "string",
        "exclude": "strings",
        "unpack": "bool",
    },
    "HEALTHCHECK": {
        "interval": "string",
        "timeout": "string",
        "start-period": "string",
        "start-interval": "string",
        "retries": "string",
    },
}


class InstructionError(Exception):
    """BuildKit refuses the instruction; the message says why."""


@dataclass
class Flags:
    values: dict[str, str] = field(default_factory=dict)
    bools: dict[str, bool] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def parse_flags(ins: Instruction) -> Flags:
    known = FLAGS.get(ins.keyword, {})
    out = Flags()
    for word in ins.flags:
        body = word[2:] if word.startswith("--") else word
        name, eq, value = body.partition("=")
        kind = known.get(name)
        if kind is None:
            raise InstructionError(f"unknown flag: --{name}" + _known_hint(known))
        if kind == "bool":
            if name in out.bools:
                raise InstructionError(f"duplicate flag specified: --{name}")
            if not eq or value.lower() == "true":
                out.bools[name] = True
            elif value.lower() == "false":
                out.bools[name] = False
            else:
                raise InstructionError(f'expecting boolean value for flag --{name}, not: "{value}"')
        elif kind == "string":
            if name in out.values:
                raise InstructionError(f"duplicate flag specified: --{name}")
            if not eq:
                raise InstructionError(f"missing a value on flag: --{name}")
            out.values[name] = value
        else:
            if not eq:
                raise InstructionError(f"missing a value on flag: --{name}")
            out.lists.setdefault(name, []).append(value)
    return out


def _known_hint(known: dict[str, str]) -> str:
    if not known:
        return " (this instruction takes no options)"
    return " (it takes " + ", ".join(f"--{k}" for k in sorted(known)) + ")"


def parse_words(rest: str, escape: str) -> list[str]:
    """Words at blanks outside quotes; quotes and escape characters are kept in the words."""
    words: list[str] = []
    word = ""
    in_word = False
    quote = ""
    blank_ok = False
    i = 0
    n = len(rest)
    while i < n:
        ch = rest[i]
        if not in_word and not quote:
            if ch in GO_SPACE:
                i += 1
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if i + 1 == n:
                    i += 1
                    continue
                word += ch
                i += 1
                ch = rest[i]
            word += ch
            i += 1
            continue
        if ch in GO_SPACE:
            if blank_ok or word:
                words.append(word)
            word, in_word, blank_ok = "", False, False
            i += 1
            continue
        if ch in "'\"":
            quote, blank_ok = ch, True
        elif ch == escape:
            if i + 1 == n:
                i += 1
                continue
            word += ch
            i += 1
            ch = rest[i]
        word += ch
        i += 1
    if (in_word or quote) and (blank_ok or word):
        words.append(word)
    return words


def key_values(ins: Instruction, escape: str) -> tuple[list[tuple[str, str]], bool]:
    """ENV and LABEL: (key, value) pairs as written, and whether the legacy ``KEY value`` form
    was used. Values (and keys) are expanded afterwards."""
    words = parse_words(ins.args, escape)
    if not words:
        raise InstructionError(f"{ins.keyword} must have two arguments")
    if "=" not in words[0]:
        parts = _BLANKS.split(ins.args, maxsplit=1)
        if len(parts) < 2:
            raise InstructionError(f"{ins.keyword} must have two arguments")
        return [(parts[0], parts[1])], True
    pairs = []
    for w in words:
        if "=" not in w:
            raise InstructionError(f'Syntax error - can\'t find = in "{w}". Must be of the form: name=value')
        key, _, value = w.partition("=")
        pairs.append((key, value))
    for key, _ in pairs:
        if not key:
            raise InstructionError(f"{ins.keyword} names can not be blank")
    return pairs, False


def arg_pairs(ins: Instruction, escape: str) -> list[tuple[str, str | None]]:
    """ARG: (name, default as written or None)."""
    words = parse_words(ins.args, escape)
    if not words:
        raise InstructionError("ARG requires at least one argument")
    out: list[tuple[str, str | None]] = []
    for w in words:
        key, eq, value = w.partition("=")
        if not key:
            raise InstructionError("ARG names can not be blank")
        out.append((key, value if eq else None))
    return out


def blank_words(text: str) -> list[str]:
    """The shell form of COPY, ADD, VOLUME, EXPOSE, FROM: split at blanks, nothing else."""
    text = text.strip(GO_SPACE)
    return _BLANKS.split(text) if text else []


@dataclass
class From:
    image: str
    """As written: expanded with the global ARGs later."""
    name: str | None
    platform: str | None


_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-_.]*$")


def parse_from(ins: Instruction) -> From:
    flags = parse_flags(ins)
    words = blank_words(ins.args)
    if len(words) == 3 and words[1].lower() == "as":
        name = words[2].lower()
        if not _STAGE_NAME.match(name):
            raise InstructionError(
                f'"{words[2]}" cannot name a build stage: a name starts with a letter and holds letters, digits, '
                "-, _ and . (BuildKit expands no variables there)"
            )
        return From(words[0], name, flags.get("platform"))
    if len(words) != 1:
        raise InstructionError("FROM requires either one or three arguments")
    return From(words[0], None, flags.get("platform"))
