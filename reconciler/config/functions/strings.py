"""String functions: Terraform's, with Go's case mapping and white space, RE2 regular expressions,
and grapheme clusters as characters."""

from __future__ import annotations

import re
from typing import Any

from imgb.reconciler.config import numbers
from imgb.reconciler.config.functions import Call, FuncError, Param, function, whole
from imgb.reconciler.config.numbers import is_number
from imgb.reconciler.config.regexes import RegexError, compile_re2, find_all, replace_all
from imgb.reconciler.config.text import GO_SPACE, go_lower, go_title, go_upper, grapheme_count, graphemes
from imgb.reconciler.config.types import NUMBER, STRING, Type, list_of, object_of, tuple_of
from imgb.reconciler.config.values import ListV, Null, is_null, nfc

S = Param("str", STRING)


@function("upper", S)
def f_upper(c: Call, a: list[Any]) -> Any:
    return nfc(go_upper(a[0]))


@function("lower", S)
def f_lower(c: Call, a: list[Any]) -> Any:
    return nfc(go_lower(a[0]))


@function("title", S)
def f_title(c: Call, a: list[Any]) -> Any:
    return nfc(go_title(a[0]))


@function("strrev", S)
def f_strrev(c: Call, a: list[Any]) -> Any:
    return nfc("".join(reversed(graphemes(a[0]))))


@function("trimspace", S)
def f_trimspace(c: Call, a: list[Any]) -> Any:
    return a[0].strip(GO_SPACE)


_CHOMP = re.compile(r"(?:\r\n?|\n)*\Z")


@function("chomp", S)
def f_chomp(c: Call, a: list[Any]) -> Any:
    return _CHOMP.sub("", a[0], count=1)


@function("trim", S, Param("cutset", STRING))
def f_trim(c: Call, a: list[Any]) -> Any:
    return a[0].strip(a[1]) if a[1] else a[0]


@function("trimprefix", S, Param("prefix", STRING))
def f_trimprefix(c: Call, a: list[Any]) -> Any:
    return a[0].removeprefix(a[1])


@function("trimsuffix", S, Param("suffix", STRING))
def f_trimsuffix(c: Call, a: list[Any]) -> Any:
    return a[0].removesuffix(a[1])


@function("startswith", S, Param("prefix", STRING))
def f_startswith(c: Call, a: list[Any]) -> Any:
    return a[0].startswith(a[1])


@function("endswith", S, Param("suffix", STRING))
def f_endswith(c: Call, a: list[Any]) -> Any:
    return a[0].endswith(a[1])


@function("strcontains", S, Param("substr", STRING))
def f_strcontains(c: Call, a: list[Any]) -> Any:
    return a[1] in a[0]


@function("split", Param("separator", STRING), S)
def f_split(c: Call, a: list[Any]) -> Any:
    sep, text = a
    parts = list(text) if sep == "" else text.split(sep)
    return ListV([nfc(p) for p in parts], STRING)


@function("join", Param("separator", STRING), variadic=Param("lists", list_of(STRING)))
def f_join(c: Call, a: list[Any]) -> Any:
    if len(a) < 2:
        raise FuncError("at least one list is required")
    items: list[str] = []
    for i, lst in enumerate(a[1:], start=1):
        for v in lst:
            if is_null(v):
                raise FuncError("element is null; cannot concatenate null values", i)
            items.append(v)
    return nfc(a[0].join(items))


@function("substr", S, Param("offset", NUMBER), Param("length", NUMBER))
def f_substr(c: Call, a: list[Any]) -> Any:
    text = a[0]
    offset, length = whole(a[1]), whole(a[2])
    chars = graphemes(text)
    n = len(chars)
    if offset < 0:
        offset = max(0, offset + n)
    if offset > n:
        return ""
    if length < 0:
        return "".join(chars[offset:])
    return "".join(chars[offset : offset + length])


@function("indent", Param("spaces", NUMBER), S)
def f_indent(c: Call, a: list[Any]) -> Any:
    spaces = whole(a[0])
    if spaces < 0:
        raise FuncError("the number of spaces must not be negative", 0)
    return a[1].replace("\n", "\n" + " " * spaces)  # every line but the first, blank ones too


@function("replace", S, Param("substr", STRING), Param("replace", STRING))
def f_replace(c: Call, a: list[Any]) -> Any:
    text, sub, rep = a
    if len(sub) > 1 and sub.startswith("/") and sub.endswith("/"):
        try:
            rx = compile_re2(sub[1:-1])
        except RegexError as exc:
            raise FuncError(str(exc), 1) from None
        return nfc(replace_all(rx, text, rep))
    if sub == "":
        return nfc(rep + rep.join(text) + rep) if text else rep
    return nfc(text.replace(sub, rep))


def _pattern(pattern: str) -> tuple[Any, Type]:
    try:
        rx = compile_re2(pattern)
    except RegexError as exc:
        raise FuncError(str(exc), 0) from None
    names: dict[int, str] = {i: n for n, i in rx.groupindex.items()}
    if rx.groups == 0:
        return rx, STRING
    if not names:
        return rx, tuple_of(tuple(STRING for _ in range(rx.groups)))
    if len(names) != rx.groups:
        raise FuncError("mixing named and unnamed capture groups is not supported", 0)
    return rx, object_of({n: STRING for n in rx.groupindex})


def _match_value(rx: Any, m: Any, rt: Type) -> Any:
    if rt.kind == "string":
        return m.group(0)
    if rt.kind == "tuple":
        return [g if g is not None else Null(STRING) for g in m.groups()]
    return {n: (m.group(i) if m.group(i) is not None else Null(STRING)) for n, i in rx.groupindex.items()}


@function("regex", Param("pattern", STRING), Param("string", STRING))
def f_regex(c: Call, a: list[Any]) -> Any:
    rx, rt = _pattern(a[0])
    m = rx.search(a[1])
    if m is None:
        raise FuncError("pattern did not match any part of the given string")
    return _match_value(rx, m, rt)


@function("regexall", Param("pattern", STRING), Param("string", STRING))
def f_regexall(c: Call, a: list[Any]) -> Any:
    rx, rt = _pattern(a[0])
    return ListV([_match_value(rx, m, rt) for m in find_all(rx, a[1])], rt)


# -- format and formatlist -------------------------------------------------------------------------

_VERB_RE = re.compile(r"%([ +#0-]*)(?:\[(\d+)\])?(\d+)?(?:\.(\d*))?(.?)", re.S)


def format_values(spec: str, values: list[Any]) -> str:
    from imgb.reconciler.config.functions.encoding import json_encode

    out: list[str] = []
    i = 0
    next_arg = 0
    used: set[int] = set()
    n = len(spec)
    while i < n:
        j = spec.find("%", i)
        if j < 0:
            out.append(spec[i:])
            break
        out.append(spec[i:j])
        if spec.startswith("%%", j):
            out.append("%")
            i = j + 2
            continue
        m = _VERB_RE.match(spec, j)
        assert m is not None
        flags, explicit, width, prec, verb = m.groups()
        raw = m.group(0)
        if not verb:
            raise FuncError(f"invalid format string starting at offset {j}: unterminated format verb", 0)
        if explicit is not None:
            next_arg = int(explicit) - 1
        idx = next_arg
        next_arg += 1
        if idx < 0 or idx >= len(values):
            raise FuncError(
                f"not enough arguments for {_q(raw)} at {j}: need index {idx + 1} but have {len(values)} total"
            )
        used.add(idx)
        out.append(_format_one(values[idx], flags, width, prec, verb, raw, j, json_encode))
        i = m.end()
    if len(used) < len(values) and max(used, default=-1) + 1 < len(values):
        raise FuncError(f"too many arguments; only {max(used, default=-1) + 1} used by format string")
    return "".join(out)


def _q(s: str) -> str:
    from imgb.reconciler.config.text import go_quote

    return go_quote(s)


def _pad(text: str, flags: str, width: str | None) -> str:
    if width is None:
        return text
    want = int(width)
    have = grapheme_count(text)
    if have >= want:
        return text
    fill = ("0" if "0" in flags else " ") * (want - have)
    return text + fill if "-" in flags else fill + text


def _format_one(v: Any, flags: str, width: str | None, prec: str | None, verb: str, raw: str, at: int, json_encode: Any) -> str:
    from imgb.reconciler.config.convert import convert
    from imgb.reconciler.config.types import BOOL
    from imgb.reconciler.config.values import ConversionError

    where = f"{_q(raw)} at {at}"
    if verb != "v" and is_null(v):
        raise FuncError(f"unsupported value for {where}: null value cannot be formatted")
    try:
        if verb == "v":
            if "#" not in flags and isinstance(v, str):
                return _pad(v, flags, width)
            if "#" not in flags and is_number(v):
                return _pad(numbers.format_text(v, "g", -1), flags, width)
            return _pad(json_encode(v), flags, width)
        if verb == "t":
            return "true" if convert(v, BOOL) else "false"
        if verb in "bdoxXeEfgG":
            n = convert(v, NUMBER)
            if verb in "bdoxX":
                i = numbers.to_int(n)
                if i is None:
                    raise FuncError(f"unsupported value for {where}: an integer is required")
                return numbers.format_int(i, verb, flags, int(width) if width else None, int(prec or 0) if prec is not None else None)
            return numbers.format_float_verb(n, verb, flags, int(width) if width else None, int(prec or 0) if prec is not None else None)
        if verb in "sq":
            text = convert(v, STRING)
            if prec and int(prec) > 0:  # cty: a precision of 0 does not truncate
                text = "".join(graphemes(text)[: int(prec)])
            if verb == "q":
                text = json_encode(text)
            return _pad(text, flags, width)
    except ConversionError as exc:
        raise FuncError(f"unsupported value for {where}: {exc}") from None
    raise FuncError(f"unsupported format verb {_q(verb)} in {_q(raw)} at offset {at}")


def _untyped_null(args: list[Any]) -> Any:
    """cty gives no result (an unknown) when format's arguments hold a bare, untyped null."""
    from imgb.unknown import Unknown

    return Unknown("format(null)") if any(v is None for v in args) else None


@function("format", Param("format", STRING), variadic=Param("args", allow_null=True))
def f_format(c: Call, a: list[Any]) -> Any:
    return _untyped_null(a[1:]) or nfc(format_values(a[0], a[1:]))


@function("formatlist", Param("format", STRING), variadic=Param("args", allow_null=True))
def f_formatlist(c: Call, a: list[Any]) -> Any:
    spec, args = a[0], a[1:]
    unknown = _untyped_null(args)
    if unknown is not None:
        return unknown
    if not args:
        return ListV([nfc(format_values(spec, []))], STRING)
    length = -1
    chooser = -1
    for i, v in enumerate(args):
        if isinstance(v, list) and not is_null(v):
            if length < 0:
                length, chooser = len(v), i
            elif len(v) != length:
                raise FuncError(
                    f"argument {i + 1} has length {len(v)}, which is inconsistent with argument {chooser + 1} of "
                    f"length {length}",
                    i + 1,
                )
    if length == 0:
        return ListV([], STRING)
    if length < 0:
        length = 1
    out = []
    for k in range(length):
        row = [v[k] if isinstance(v, list) else v for v in args]
        try:
            out.append(nfc(format_values(spec, row)))
        except FuncError as exc:
            raise FuncError(f"error on format iteration {k}: {exc}") from None
    return ListV(out, STRING)

