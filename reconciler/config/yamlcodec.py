"""YAML the way Terraform's ``yamldecode`` and ``yamlencode`` (go-cty-yaml on go-yaml) read and
write it.

Decoding: PyYAML parses the syntax; scalars are then resolved by go-cty-yaml's rules, not PyYAML's:
quoted scalars are strings; ``y yes on true`` (any of its three spellings) and their negatives are
bools; ``~ null`` and empty are null; decimal, ``0o`` and ``0x`` integers and decimal floats are
numbers; ``.inf`` is infinity and ``.nan`` an error; ``2001-12-14`` style timestamps become
RFC 3339 strings; everything else (``1_000``, ``0b1``, ``1:30``) is a string. Mapping keys must be
scalars; ``<<`` merges.

Encoding: block style, keys sorted and double-quoted, strings double-quoted (multi-line ones as
literal blocks when YAML allows), lines folded at 80 columns as go-yaml's emitter does.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import yaml

from imgb.reconciler.config import numbers
from imgb.reconciler.config.numbers import format_number, is_number
from imgb.reconciler.config.values import Null, is_null, nfc


class YAMLError(Exception):
    pass


# -- decoding --------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Keeps a scalar's explicit tag, and "" when it has none: resolution is ours."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:  # noqa: D401
        if kind is yaml.ScalarNode:
            return ""
        return super().resolve(kind, value, implicit)

    def scan_to_next_token(self) -> None:
        """As go-yaml's scanner (libyaml's): a tab separates tokens in the flow context, and in
        the block context where no simple key may start (after "key:"); PyYAML takes spaces only."""
        if self.index == 0 and self.peek() == "\uFEFF":
            self.forward()
        while True:
            while self.peek() == " " or (self.peek() == "\t" and (self.flow_level or not self.allow_simple_key)):
                self.forward()
            if self.peek() == "#":
                while self.peek() not in "\0\r\n\x85\u2028\u2029":
                    self.forward()
            if self.scan_line_break():
                if not self.flow_level:
                    self.allow_simple_key = True
            else:
                return


_BOOLS = {
    **dict.fromkeys(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"], True),
    **dict.fromkeys(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"], False),
}
_NULLS = {"", "~", "null", "Null", "NULL"}
_INFS = {".inf": numbers.POS_INF, ".Inf": numbers.POS_INF, ".INF": numbers.POS_INF,
         "+.inf": numbers.POS_INF, "+.Inf": numbers.POS_INF, "+.INF": numbers.POS_INF,
         "-.inf": numbers.NEG_INF, "-.Inf": numbers.NEG_INF, "-.INF": numbers.NEG_INF}  # fmt: skip
_INT_RE = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_TS_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:([Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?)?\Z"
)
_TAG = "tag:yaml.org,2002:"


def _timestamp(s: str) -> str | None:
    """Go's time.Parse with go-cty-yaml's layouts, printed as RFC 3339 (fractions dropped)."""
    m = _TS_RE.match(s)
    if m is None:
        return None
    y, mo, d, sep, h, mi, se, frac, zone = m.groups()
    if sep is not None and (sep in "Tt") != (zone is not None):
        return None  # a T needs a zone; the space-separated form takes none
    try:
        when = _dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(se or 0))
    except ValueError:
        return None
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if zone is None or zone in ("Z", "+00:00", "-00:00"):
        return text + "Z"
    return text + zone


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    src = node.value
    short = tag[len(_TAG) :] if tag.startswith(_TAG) else tag
    if tag and short not in ("str", "bool", "int", "float", "null", "timestamp", "binary"):
        raise YAMLError(f"unsupported tag {tag!r}")
    first = src[:1]
    hint = first and (first in "+-0123456789yYnNtTfFoO~.")
    if (hint or src == "") and short not in ("str", "binary"):
        if node.style in ("'", '"'):
            return nfc(src)
        if src in _BOOLS:
            return _BOOLS[src]
        if src in _NULLS:
            return None
        if src in _INFS:
            return _INFS[src]
        if not tag and src in (".nan", ".NaN", ".NAN"):
            raise YAMLError("floating point NaN is not supported")
        if first == ".":
            n = numbers.parse(src)
            if n is not None:
                return n
        elif first in "+-0123456789":
            if not tag or short == "timestamp":
                ts = _timestamp(src)
                if ts is not None:
                    return ts
            if _INT_RE.match(src):
                short = "int"
            elif _FLOAT_RE.match(src):
                short = "float"
    if short in ("str", "binary"):
        if short == "binary":
            import base64
            import binascii

            try:
                base64.b64decode(src, validate=True)
            except binascii.Error:
                raise YAMLError(f"cannot parse {src!r} as !!binary: not valid base64") from None
        return nfc(src)
    if short == "bool":
        if src in _BOOLS:
            return _BOOLS[src]
        raise YAMLError(f"cannot parse {src!r} as !!bool")
    if short in ("int", "float"):
        plain = src.replace("_", "")
        n = numbers.parse(plain)
        if n is not None:
            return n
        body = plain.lstrip("+-")
        neg = plain.startswith("-")
        for prefix, base in (("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)):
            if body.startswith(prefix):
                try:
                    v = int(body[2:], base)
                except ValueError:
                    break
                if v < 2**64:
                    return -v if neg else v
        if len(body) > 1 and body.startswith("0") and body.isdigit():
            try:
                v = int(body, 8)
                return -v if neg else v
            except ValueError:
                pass
        raise YAMLError(f"cannot parse {src!r} as !!{short}")
    if short == "timestamp":
        ts = _timestamp(src)
        if ts is not None:
            return ts
        raise YAMLError(f"cannot parse {src!r} as !!timestamp")
    if short == "null":
        return None
    return nfc(src)


def _node(node: Any, depth: int = 0) -> Any:
    if depth > 500:
        raise YAMLError("the document nests too deeply")
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [_node(n, depth + 1) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "<<" and not k.tag and k.style is None:
                merged = _node(v, depth + 1)
                if not isinstance(merged, dict):
                    raise YAMLError(f"cannot merge {'tuple' if isinstance(merged, list) else 'scalar'} into mapping")
                for mk, mv in merged.items():
                    out.setdefault(mk, mv)
                continue
            if not isinstance(k, yaml.ScalarNode):
                raise YAMLError("only strings are allowed as mapping keys")
            key = _scalar(k)
            if is_null(key) or isinstance(key, list | dict):
                raise YAMLError("only strings are allowed as mapping keys")
            from imgb.reconciler.config.values import to_string

            out[to_string(key)] = _node(v, depth + 1)
        return out
    raise YAMLError("unsupported YAML node")  # pragma: no cover


def decode(text: str) -> Any:
    try:
        loader = _Loader(text)
        try:
            if not loader.check_node():
                raise YAMLError("on line 1, column 1: missing start of document")
            node = loader.get_node()
            if getattr(loader, "yaml_version", None) not in (None, (1, 1)):
                raise YAMLError("found incompatible YAML document")  # go-yaml reads YAML 1.1 only
            if loader.check_node():
                mark = loader.peek_event().start_mark
                raise YAMLError(f"on line {mark.line + 1}, column {mark.column + 1}: unexpected extra content after value")
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"on line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise YAMLError(f"{where}{getattr(exc, 'problem', None) or exc}") from None
    if node is None:
        return None
    return _node(node)


# -- encoding --------------------------------------------------------------------------------------

_WIDTH = 80
_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}  # fmt: skip


def _printable(c: str) -> bool:
    o = ord(c)
    if o == 0x0A or 0x20 <= o <= 0x7E:
        return True
    if o in (0x85,) or 0xA0 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD:
        return o != 0xFEFF  # go-yaml escapes everything beyond the Basic Multilingual Plane
    return False


def _block_allowed(s: str) -> bool:
    """libyaml's analysis: a literal block cannot hold special characters, a space before a line
    break, or trailing spaces."""
    if any(not _printable(c) and c != "\n" for c in s):
        return False
    if " \n" in s or s.endswith(" "):
        return False
    return True


class _Emitter:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0

    def write(self, s: str) -> None:
        self.out.append(s)
        nl = s.rfind("\n")
        self.column = len(s) - nl - 1 if nl >= 0 else self.column + len(s)

    def indent_line(self, indent: int) -> None:
        self.write("\n" + " " * indent)

    def double_quoted(self, s: str, indent: int, allow_breaks: bool = True) -> None:
        self.write('"')
        spaces = False
        n = len(s)
        for i, c in enumerate(s):
            if not _printable(c) or c in ('"', "\\") or c == "\n" or c == "\ufeff" or c in "\x85\u2028\u2029":
                esc = _ESCAPES.get(c)
                if esc is not None:
                    self.write("\\" + esc)
                else:
                    o = ord(c)
                    self.write(f"\\x{o:02X}" if o <= 0xFF else (f"\\u{o:04X}" if o <= 0xFFFF else f"\\U{o:08X}"))
                spaces = False
            elif c == " ":
                if allow_breaks and not spaces and self.column > _WIDTH and i != 0 and i != n - 1:
                    self.indent_line(indent)
                    if i + 1 < n and s[i + 1] == " ":
                        self.write("\\")
                else:
                    self.write(c)
                spaces = True
            else:
                self.write(c)
                spaces = False
        self.write('"')

    def literal(self, s: str, indent: int) -> None:
        hints = ""
        if s[:1] in (" ", "\n"):
            hints += "2"
        if not s.endswith("\n"):
            hints += "-"
        elif s == "\n" or s.endswith("\n\n"):
            hints += "+"
        self.write("|" + hints)
        body = s[:-1] if s.endswith("\n") else s
        for line in body.split("\n"):
            if line:
                self.write("\n" + " " * indent + line)
            else:
                self.write("\n")

    def string(self, s: str, indent: int, key: bool = False) -> None:
        if "\n" in s and not key and _block_allowed(s):
            self.literal(s, indent)
        else:
            self.double_quoted(s, indent)

    def value(self, v: Any, indent: int, in_seq: bool = False) -> None:
        """After "key:" or "- " or at the start: write v."""
        if isinstance(v, dict) and v:
            self.mapping(v, indent)
        elif isinstance(v, list) and v:
            self.sequence(v, indent)
        else:
            self.scalar(v, indent)

    def scalar(self, v: Any, indent: int) -> None:
        if is_null(v):
            self.write("null")
        elif isinstance(v, bool):
            self.write("true" if v else "false")
        elif is_number(v):
            self.write(format_number(v))
        elif isinstance(v, str):
            self.string(v, indent)
        elif isinstance(v, dict):
            self.write("{}")
        elif isinstance(v, list):
            self.write("[]")
        else:  # pragma: no cover
            raise YAMLError(f"cannot encode {type(v).__name__}")

    def mapping(self, m: dict[str, Any], indent: int, first_inline: bool = False) -> None:
        for i, k in enumerate(sorted(m)):
            if i > 0 or not first_inline:
                if self.out:
                    self.indent_line(indent)
            if ("\n" in k and _block_allowed(k)) or len(k) > 128:
                self.write("? ")
                self.string(k, indent + 2)
                self.indent_line(indent)
            else:
                self.string(k, indent, key=True)
            self.write(":")
            v = m[k]
            if isinstance(v, dict) and v:
                self.mapping_nested(v, indent + 2)
            elif isinstance(v, list) and v:
                self.sequence_nested(v, indent)
            else:
                self.write(" ")
                self.scalar(v, indent + 2)

    def mapping_nested(self, m: dict[str, Any], indent: int) -> None:
        self.mapping(m, indent)

    def sequence_nested(self, seq: list[Any], indent: int) -> None:
        self.sequence(seq, indent)

    def sequence(self, seq: list[Any], indent: int, first_inline: bool = False) -> None:
        for i, v in enumerate(seq):
            if i > 0 or not first_inline:
                if self.out:
                    self.indent_line(indent)
            self.write("- ")
            if isinstance(v, dict) and v:
                self.mapping(v, indent + 2, first_inline=True)
            elif isinstance(v, list) and v:
                self.sequence(v, indent + 2, first_inline=True)
            else:
                self.scalar(v, indent + 2)


def encode(value: Any) -> str:
    e = _Emitter()
    if isinstance(value, dict) and value:
        e.mapping(value, 0)
        e.write("\n")
    elif isinstance(value, list) and value:
        e.sequence(value, 0)
        e.write("\n")
    else:
        e.scalar(value, 2)
        plain = not isinstance(value, str)
        e.write("\n...\n" if plain and not isinstance(value, list | dict) else "\n")
    return "".join(e.out)


__all__ = ["Null", "YAMLError", "decode", "encode"]
