"""Encoding functions: JSON and YAML (cty's encoders), Base64, gzip, CSV, URLs, character sets."""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import struct
from typing import Any

from imgb.reconciler.config import numbers
from imgb.reconciler.config.functions import Call, FuncError, Param, function
from imgb.reconciler.config.numbers import Num, format_number, is_number
from imgb.reconciler.config.types import STRING, object_of
from imgb.reconciler.config.values import ListV, is_null, nfc

S = Param("str", STRING)

_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "<": "\\u003c", ">": "\\u003e",
                 "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}  # fmt: skip


def json_string(s: str) -> str:
    """Go's encoding/json string: HTML-safe (<, >, & escaped), \\u2028 and \\u2029 escaped."""
    out = ['"']
    for c in s:
        e = _JSON_ESCAPES.get(c)
        if e is not None:
            out.append(e)
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def json_encode(v: Any) -> str:
    if is_null(v):
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json_string(v)
    if is_number(v):
        if isinstance(v, Num) and v.inf:
            raise FuncError("cannot serialize infinity as JSON")
        return format_number(v)
    if isinstance(v, list):
        return "[" + ",".join(json_encode(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json_string(k) + ":" + json_encode(v[k]) for k in sorted(v)) + "}"
    raise FuncError(f"cannot serialize {type(v).__name__} as JSON")  # pragma: no cover


@function("jsonencode", Param("val", allow_null=True))
def f_jsonencode(c: Call, a: list[Any]) -> Any:
    return json_encode(a[0])


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _decoded(v: Any) -> Any:
    if isinstance(v, str):
        return nfc(v)
    if isinstance(v, list):
        return [_decoded(x) for x in v]
    if isinstance(v, dict):
        return {nfc(k): _decoded(x) for k, x in v.items()}
    return v


def _number(text: str) -> Any:
    n = numbers.parse(text)
    if n is None:  # pragma: no cover - json only hands over numerals
        raise ValueError(f"invalid number {text}")
    return n


@function("jsondecode", S)
def f_jsondecode(c: Call, a: list[Any]) -> Any:
    text = a[0]
    dec = json.JSONDecoder(parse_float=_number, parse_int=_number, parse_constant=_no_constant, strict=True)
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise FuncError("unexpected end of JSON input")
    try:
        value, end = dec.raw_decode(stripped)
    except json.JSONDecodeError as exc:
        raise FuncError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise FuncError(str(exc)) from None
    if stripped[end:].strip(" \t\r\n"):
        raise FuncError("extraneous data after JSON object")
    return _decoded(value)


@function("yamlencode", Param("value", allow_null=True))
def f_yamlencode(c: Call, a: list[Any]) -> Any:
    from imgb.reconciler.config import yamlcodec  # PyYAML: only for configurations that use YAML

    try:
        return yamlcodec.encode(a[0])
    except yamlcodec.YAMLError as exc:
        raise FuncError(str(exc)) from None


@function("yamldecode", Param("src", STRING))
def f_yamldecode(c: Call, a: list[Any]) -> Any:
    from imgb.reconciler.config import yamlcodec

    try:
        return yamlcodec.decode(a[0])
    except yamlcodec.YAMLError as exc:
        raise FuncError(str(exc)) from None


@function("base64encode", S)
def f_base64encode(c: Call, a: list[Any]) -> Any:
    return base64.b64encode(a[0].encode()).decode()


@function("base64decode", S)
def f_base64decode(c: Call, a: list[Any]) -> Any:
    data = _b64decode(a[0], 0)
    try:
        return nfc(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FuncError("the result of decoding the provided string is not valid UTF-8", 0) from None


def _b64decode(s: str, arg: int) -> bytes:
    # Go's StdEncoding.DecodeString skips \r and \n, and needs padding
    text = s.replace("\r", "").replace("\n", "")
    try:
        if len(text) % 4:
            raise binascii.Error("length")
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FuncError("failed to decode base64 data", arg) from None


def gzip_bytes(data: bytes) -> bytes:
    """Go's gzip.Writer with Write, Flush and Close: a header with no time and OS 255, the data in a
    sync-flushed deflate block, then an empty final stored block."""
    import zlib

    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + body + b"\x01\x00\x00\xff\xff" + trailer


@function("base64gzip", S)
def f_base64gzip(c: Call, a: list[Any]) -> Any:
    return base64.b64encode(gzip_bytes(a[0].encode())).decode()


@function("urlencode", S)
def f_urlencode(c: Call, a: list[Any]) -> Any:
    out = []
    for b in a[0].encode():
        ch = chr(b)
        if ch.isascii() and (ch.isalnum() or ch in "-_.~"):
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def _csv_records(text: str) -> list[list[str]]:
    """Go's encoding/csv: RFC 4180, quotes only around whole fields, CR LF or LF line ends."""
    records: list[list[str]] = []
    i, n, line = 0, len(text), 1
    while i < n:
        if text[i] == "\n" or text.startswith("\r\n", i):  # blank lines are skipped
            i += 2 if text[i] == "\r" else 1
            line += 1
            continue
        record: list[str] = []
        start_line = line
        while True:
            if i < n and text[i] == '"':
                i += 1
                field: list[str] = []
                while True:
                    if i >= n:
                        raise FuncError(f'CSV parse error on line {start_line}: extraneous or missing " in quoted-field')
                    ch = text[i]
                    if ch == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            field.append('"')
                            i += 2
                            continue
                        i += 1
                        break
                    if ch == "\n":
                        line += 1
                    if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                        i += 1
                        continue
                    field.append(ch)
                    i += 1
                if i < n and text[i] not in ",\r\n":
                    raise FuncError(f'CSV parse error on line {line}: extraneous or missing " in quoted-field')
                record.append("".join(field))
            else:
                j = i
                while j < n and text[j] not in ",\n" and not text.startswith("\r\n", j):
                    if text[j] == '"':
                        raise FuncError(f'CSV parse error on line {line}: bare " in non-quoted-field')
                    j += 1
                record.append(text[i:j])
                i = j
            if i < n and text[i] == ",":
                i += 1
                continue
            if i < n:
                i += 2 if text[i] == "\r" else 1
            line += 1
            break
        records.append(record)
    return records


@function("csvdecode", S)
def f_csvdecode(c: Call, a: list[Any]) -> Any:
    records = _csv_records(a[0])
    if not records:
        raise FuncError("missing header line")
    header = records[0]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise FuncError(f'duplicate column name "{h}"')
        seen.add(h)
    for k, rec in enumerate(records[1:], start=2):
        if len(rec) != len(header):
            raise FuncError(f"CSV parse error on line {k}: wrong number of fields")
    rows = [{h: nfc(v) for h, v in zip(header, rec, strict=True)} for rec in records[1:]]
    return ListV(rows, object_of({h: STRING for h in header}))


_CHARSETS = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf16": "utf-16", "utf-16": "utf-16", "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be", "utf32": "utf-32", "utf-32": "utf-32", "utf-32le": "utf-32-le", "utf-32be": "utf-32-be",
    "iso-8859-1": "latin-1", "latin1": "latin-1", "iso-8859-2": "iso8859-2", "iso-8859-15": "iso8859-15",
    "windows-1250": "cp1250", "windows-1251": "cp1251", "windows-1252": "cp1252", "cp1252": "cp1252",
    "us-ascii": "ascii", "ascii": "ascii", "shift_jis": "shift_jis", "euc-jp": "euc_jp", "euc-kr": "euc_kr",
    "gbk": "gbk", "gb18030": "gb18030", "big5": "big5", "koi8-r": "koi8_r", "iso-2022-jp": "iso2022_jp",
}  # fmt: skip


def _codec(name: str, arg: int) -> str:
    key = name.strip().lower()
    if key in _CHARSETS:
        return _CHARSETS[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise FuncError(f'"{name}" is not a supported IANA encoding name or alias', arg) from None


@function("textencodebase64", Param("string", STRING), Param("encoding", STRING))
def f_textencodebase64(c: Call, a: list[Any]) -> Any:
    codec = _codec(a[1], 1)
    try:
        data = a[0].encode(codec)
    except UnicodeEncodeError:
        raise FuncError(f"the given string contains characters that cannot be represented in {a[1]}", 0) from None
    if codec == "utf-16":
        data = b"\xfe\xff" + a[0].encode("utf-16-be")  # Go writes a big-endian byte order mark
    return base64.b64encode(data).decode()


@function("textdecodebase64", Param("source", STRING), Param("encoding", STRING))
def f_textdecodebase64(c: Call, a: list[Any]) -> Any:
    codec = _codec(a[1], 1)
    data = _b64decode(a[0], 0)
    try:
        return nfc(data.decode(codec))
    except UnicodeDecodeError:
        raise FuncError(f"the given value is has an invalid {a[1]} encoding", 0) from None
