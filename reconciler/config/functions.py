"""The built-in functions: Terraform's names and behaviour, for the subset imgb documents.

Each function declares its parameters (for argument-count and argument-type diagnostics) and how
it treats values known only after apply: ``deep`` returns unknown when an unknown is anywhere in
the arguments, ``top`` only when an argument itself is unknown (``length`` of a list of ids is
known), ``lazy`` functions (``can``, ``try``) evaluate their arguments themselves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from imgb.diagnostics import SourcePos, did_you_mean
from imgb.fsops import read_inside
from imgb.reconciler.config import ast
from imgb.reconciler.config.context import Context, EvalError, Evaluating
from imgb.reconciler.config.values import (
    INVALID,
    ConversionError,
    deep_unknown,
    describe,
    equal,
    first_unknown,
    format_number,
    is_invalid,
    normalize_number,
    parse_number,
    to_bool,
    to_int,
    to_number,
    to_string,
    type_name,
)
from imgb.unknown import CLOSE, OPEN, Unknown


class FuncError(Exception):
    """A function rejected its arguments. ``arg`` is the 0-based index of the culprit, if known."""

    def __init__(self, message: str, arg: int | None = None):
        super().__init__(message)
        self.arg = arg


Impl = Callable[[Evaluating, list[Any], SourcePos], Any]


@dataclass(frozen=True)
class Func:
    impl: Impl
    params: tuple[str, ...]
    variadic: str | None = None
    optional: int = 0
    """How many trailing ``params`` may be omitted."""
    unknowns: Literal["deep", "top", "lazy"] = "deep"

    def signature(self, name: str) -> str:
        ps = list(self.params)
        if self.variadic:
            ps.append(self.variadic + "...")
        return f"{name}({', '.join(ps)})"


def call(ev: Evaluating, e: ast.FunctionCall, frame: Mapping[str, Any]) -> Any:
    func = FUNCTIONS.get(e.name)
    if func is None:
        hint = did_you_mean(e.name, FUNCTIONS)
        raise EvalError(
            "Call to unknown function",
            f'There is no function named "{e.name}".{hint}',
            e.pos,
            static=True,
        )
    n_min = len(func.params) - func.optional
    n_max = None if func.variadic else len(func.params)
    if not e.expand_final:
        _check_count(e, func, len(e.args), n_min, n_max)
    if func.unknowns == "lazy":
        return func.impl(ev, [(a, frame) for a in e.args], e.pos)
    args = [ev.eval(a, frame) for a in e.args]
    if e.expand_final and args:
        last = args.pop()
        if isinstance(last, Unknown) or last is INVALID:
            return last
        if not isinstance(last, list):
            raise EvalError(
                "Invalid expanding argument value",
                f'The final argument before "..." must be a list or set, not {describe(last)}.',
                e.args[-1].pos,
            )
        args.extend(last)
        _check_count(e, func, len(args), n_min, n_max)
    if any(is_invalid(a) for a in args):
        return INVALID
    unknown = deep_unknown(args) if func.unknowns == "deep" else first_unknown(args)
    if unknown is not None:
        return unknown
    try:
        return func.impl(ev, args, e.pos)
    except FuncError as exc:
        pos = e.args[exc.arg].pos if exc.arg is not None and exc.arg < len(e.args) and not e.expand_final else e.pos
        names = list(func.params) + [func.variadic or ""] * max(0, len(args) - len(func.params))
        param = names[exc.arg] if exc.arg is not None and exc.arg < len(names) else ""
        prefix = f'Invalid value for "{param}" parameter: ' if param else ""
        raise EvalError(f"Error in function call: {e.name}", f"Call to {e.name}() failed. {prefix}{exc}.", pos) from None
    except ConversionError as exc:
        raise EvalError(f"Error in function call: {e.name}", f"Call to {e.name}() failed: {exc}.", e.pos) from None


def _check_count(e: ast.FunctionCall, func: Func, n: int, n_min: int, n_max: int | None) -> None:
    if n < n_min:
        raise EvalError(
            "Not enough function arguments",
            f"Function {e.name} expects {'at least ' if n_max != n_min else ''}{n_min} argument(s), "
            f"but {n} given: {func.signature(e.name)}.",
            e.pos,
        )
    if n_max is not None and n > n_max:
        raise EvalError(
            "Too many function arguments",
            f"Function {e.name} expects at most {n_max} argument(s), but {n} given: {func.signature(e.name)}.",
            e.pos,
        )


# --- argument helpers --------------------------------------------------------------------------


def _str(args: list[Any], i: int) -> str:
    try:
        return to_string(args[i])
    except ConversionError as exc:
        raise FuncError(str(exc), i) from None


def _num(args: list[Any], i: int) -> int | float:
    try:
        return to_number(args[i])
    except ConversionError as exc:
        raise FuncError(str(exc), i) from None


def _int(args: list[Any], i: int) -> int:
    try:
        return to_int(args[i])
    except ConversionError as exc:
        raise FuncError(str(exc), i) from None


def _list(args: list[Any], i: int) -> list[Any]:
    v = args[i]
    if not isinstance(v, list):
        raise FuncError(f"a list is required, got {describe(v)}", i)
    return v


def _map(args: list[Any], i: int) -> dict[str, Any]:
    v = args[i]
    if not isinstance(v, dict):
        raise FuncError(f"a map or object is required, got {describe(v)}", i)
    return v


def _strings(args: list[Any], i: int) -> list[str]:
    out = []
    for v in _list(args, i):
        try:
            out.append(to_string(v))
        except ConversionError as exc:
            raise FuncError(f"every element must be a string: {exc}", i) from None
    return out


# --- files -------------------------------------------------------------------------------------


def _resolve_path(ev: Evaluating, args: list[Any], i: int) -> tuple[Path, str]:
    """The file ``args[i]`` names, checked to stay inside the configuration directory."""
    raw = _str(args, i)
    if not raw:
        raise FuncError("the path is empty", i)
    if "\0" in raw:  # the OS would refuse it with a ValueError, not an OSError
        raise FuncError("the path contains a NUL character, which no file name can hold", i)
    if os.path.isabs(raw) or raw.startswith("~"):
        raise FuncError(
            f'"{raw}" is an absolute path; file paths are relative to the configuration directory and '
            "may not leave it",
            i,
        )
    rel = os.path.normpath(raw).replace(os.sep, "/")
    if rel == ".." or rel.startswith("../"):
        raise FuncError(
            f'"{raw}" leaves the configuration directory; copy the file into the directory and refer to it there',
            i,
        )
    root = ev.ctx.directory.resolve()
    path = root / rel
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        raise FuncError(f'"{raw}" cannot be resolved (a symbolic link loop?)', i) from None
    if real != root and root not in real.parents:
        raise FuncError(
            f'"{raw}" is a symbolic link (or goes through one) to a location outside the configuration '
            "directory; copy the file into the directory instead",
            i,
        )
    return path, rel


def _read_bytes(ev: Evaluating, args: list[Any], i: int) -> tuple[bytes, str]:
    path, rel = _resolve_path(ev, args, i)
    try:
        data = read_inside(ev.ctx.directory, rel)  # the check above, kept by the kernel at the open
    except FileNotFoundError:
        raise FuncError(f'no file exists at "{rel}" (paths are relative to the configuration directory)', i) from None
    except IsADirectoryError:
        raise FuncError(f'"{rel}" is a directory, not a file', i) from None
    except OSError as exc:
        raise FuncError(f'"{rel}" cannot be read: {exc.strerror}', i) from None
    ev.ctx.file_digests[rel] = hashlib.sha256(data).hexdigest()
    return data, rel


def _read_text(ev: Evaluating, args: list[Any], i: int) -> tuple[str, str]:
    data, rel = _read_bytes(ev, args, i)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FuncError(f'"{rel}" is not valid UTF-8 text; use filesha256() for binary files', i) from None
    if OPEN in text or CLOSE in text:
        raise FuncError(f'"{rel}" contains the private-use characters U+E000/U+E001, which imgb reserves', i)
    ev.ctx.files_read[rel] = text
    return text, rel


def f_file(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return _read_text(ev, args, 0)[0]


def f_fileexists(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    path, _ = _resolve_path(ev, args, 0)
    return path.is_file()


def f_filesha256(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    data, _ = _read_bytes(ev, args, 0)
    return hashlib.sha256(data).hexdigest()


def f_templatefile(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    from imgb.reconciler.config.hcl import SyntaxProblem, parse_template

    text, rel = _read_text(ev, args, 0)
    variables = _map(args, 1)
    for name in variables:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise FuncError(f'"{name}" is not a valid template variable name', 1)
    try:
        template = parse_template(text, rel)
    except SyntaxProblem as p:
        raise EvalError(p.diag.summary, p.diag.detail, p.diag.pos) from None

    def no_refs(root: str, name: str, ref_pos: SourcePos) -> Any:
        raise EvalError(
            "Invalid reference in template",
            f"A template file can use only the variables passed to templatefile(), not {root}.{name}. "
            "Pass the value in the second argument.",
            ref_pos,
        )

    sub = ev.with_context(Context(ev.ctx.directory, no_refs, ev.ctx.file_digests, ev.ctx.files_read, tuple(variables)))
    result = sub.template_parts(template.parts, dict(variables))
    return result


# --- strings -----------------------------------------------------------------------------------

_FMT_RE = re.compile(r"%(?:\[(\d+)\])?([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def f_format(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    spec = _str(args, 0)
    values = args[1:]
    out: list[str] = []
    last = 0
    next_arg = 0
    for m in _FMT_RE.finditer(spec):
        out.append(spec[last : m.start()])
        last = m.end()
        explicit, flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        idx = int(explicit) - 1 if explicit else next_arg
        next_arg = idx + 1
        if idx >= len(values) or idx < 0:
            raise FuncError(f"not enough arguments for the format verb %{verb} at offset {m.start()}", 0)
        out.append(_format_one(values[idx], flags, width, prec, verb, idx + 1))
    out.append(spec[last:])
    return "".join(out)


def _format_one(value: Any, flags: str, width: str | None, prec: str | None, verb: str, argi: int) -> str:
    pyflags = flags.replace("#", "")
    w = width or ""
    p = f".{prec}" if prec is not None else ""
    try:
        if verb in "sv" and isinstance(value, list | dict) and verb == "v":
            text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        elif verb in "sv":
            text = to_string(value)
            if prec is not None:
                text = text[: int(prec)]
        elif verb == "q":
            text = json.dumps(to_string(value), ensure_ascii=False)
        elif verb == "t":
            text = "true" if to_bool(value) else "false"
        elif verb in "dxXob":
            n = to_number(value)
            if isinstance(n, float):
                raise FuncError(f"%{verb} needs a whole number, got {format_number(n)}", argi)
            return format(n, f"{pyflags}{w}{verb}")
        elif verb in "feEgG":
            return format(float(to_number(value)), f"{pyflags}{w}{p or ('.6' if verb in 'feE' else '')}{verb}")
        else:
            raise FuncError(f'unsupported format verb "%{verb}"', 0)
    except ConversionError as exc:
        raise FuncError(str(exc), argi) from None
    if w:
        text = text.ljust(int(w)) if "-" in flags else text.rjust(int(w))
    return text


def f_join(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    sep = _str(args, 0)
    parts: list[str] = []
    for i in range(1, len(args)):
        parts.extend(_strings(args, i))
    return sep.join(parts)


def f_split(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    sep, text = _str(args, 0), _str(args, 1)
    if sep == "":
        return list(text)
    return text.split(sep)


def _go_replacement(rep: str) -> str:
    # RE2's $1 / ${name} become Python's \g<1> / \g<name>; backslashes are literal in Go.
    rep = rep.replace("\\", "\\\\")
    rep = re.sub(r"\$\{(\w+)\}", r"\\g<\1>", rep)
    rep = re.sub(r"\$(\d+)", r"\\g<\1>", rep)
    return rep.replace("$$", "$")


def _compile(pattern: str, i: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FuncError(f"invalid regular expression: {exc}", i) from None


def f_replace(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    text, sub, rep = _str(args, 0), _str(args, 1), _str(args, 2)
    if len(sub) >= 2 and sub.startswith("/") and sub.endswith("/"):
        pattern = _compile(sub[1:-1], 1)
        try:
            return pattern.sub(_go_replacement(rep), text)
        except (re.error, IndexError) as exc:
            raise FuncError(f"invalid replacement: {exc}", 2) from None
    return text.replace(sub, rep)


def f_regex(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    pattern = _compile(_str(args, 0), 0)
    text = _str(args, 1)
    m = pattern.search(text)
    if m is None:
        raise FuncError("the pattern did not match the string", 1)
    return _match_value(pattern, m)


def _match_value(pattern: re.Pattern[str], m: re.Match[str]) -> Any:
    if pattern.groupindex:
        return {k: m.group(k) for k in pattern.groupindex}
    if pattern.groups:
        return list(m.groups())
    return m.group(0)


def f_regexall(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    pattern = _compile(_str(args, 0), 0)
    return [_match_value(pattern, m) for m in pattern.finditer(_str(args, 1))]


def f_substr(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    text, offset, length = _str(args, 0), _int(args, 1), _int(args, 2)
    if offset < 0:
        offset = max(0, len(text) + offset)
    if length < 0:
        return text[offset:]
    return text[offset : offset + length]


def f_trim(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return _str(args, 0).strip(_str(args, 1))


def f_trimprefix(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return _str(args, 0).removeprefix(_str(args, 1))


def f_trimsuffix(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return _str(args, 0).removesuffix(_str(args, 1))


def f_base64decode(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    try:
        return base64.b64decode(_str(args, 0), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise FuncError("the string is not valid base64-encoded UTF-8", 0) from None


def _simple_str(fn: Callable[[str], Any]) -> Impl:
    return lambda ev, args, pos: fn(_str(args, 0))


def _hash(algo: str) -> Impl:
    return lambda ev, args, pos: hashlib.new(algo, _str(args, 0).encode()).hexdigest()


# --- collections -------------------------------------------------------------------------------


def f_length(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    v = args[0]
    if isinstance(v, str):
        return len(v)
    if isinstance(v, list | dict):
        return len(v)
    raise FuncError(f"a string, list or map is required, got {describe(v)}", 0)


def f_concat(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    out: list[Any] = []
    for i in range(len(args)):
        out.extend(_list(args, i))
    return out


def f_merge(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    out: dict[str, Any] = {}
    for i, v in enumerate(args):
        if v is None:
            continue
        out.update(_map(args, i))
    return out


def f_lookup(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    m, key = _map(args, 0), _str(args, 1)
    if key in m:
        return m[key]
    if len(args) > 2:
        return args[2]
    raise FuncError(f'the map has no key "{key}" and no default was given{did_you_mean(key, m)}', 1)


def f_keys(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return sorted(_map(args, 0))


def f_values(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    m = _map(args, 0)
    return [m[k] for k in sorted(m)]


def f_contains(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return any(equal(v, args[1]) for v in _list(args, 0))


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool):
        return (0, v)
    if isinstance(v, int | float):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    return (3, json.dumps(v, sort_keys=True, default=str))


def _distinct(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(equal(v, o) for o in out):
            out.append(v)
    return out


def f_toset(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    v = args[0]
    if isinstance(v, dict):
        raise FuncError("a map cannot be converted to a set; use keys() or values()", 0)
    items = _distinct(_list(args, 0))
    if all(isinstance(x, str) for x in items) or all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in items
    ):
        return sorted(items, key=_sort_key)  # sets of primitives iterate in a stable order
    return items


def f_tolist(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return list(_list(args, 0))


def f_tomap(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return dict(_map(args, 0))


def f_coalesce(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    for v in args:
        if isinstance(v, Unknown):
            return v
        if v is not None and v != "":
            return v
    raise FuncError("every argument is null or an empty string", None)


def f_flatten(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    out: list[Any] = []

    def walk(v: list[Any]) -> None:
        for x in v:
            if isinstance(x, list):
                walk(x)
            else:
                out.append(x)

    walk(_list(args, 0))
    return out


def f_distinct(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return _distinct(_list(args, 0))


def f_sort(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return sorted(_strings(args, 0))


def f_reverse(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return list(reversed(_list(args, 0)))


def f_element(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    items, i = _list(args, 0), _int(args, 1)
    if not items:
        raise FuncError("cannot use element() on an empty list", 0)
    if i < 0:
        raise FuncError("the index must not be negative", 1)
    return items[i % len(items)]


def f_slice(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    items, start, end = _list(args, 0), _int(args, 1), _int(args, 2)
    if not 0 <= start <= end <= len(items):
        raise FuncError(f"the range [{start}, {end}) is outside a list of {len(items)} element(s)", 1)
    return items[start:end]


def f_zipmap(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    keys, values = _strings(args, 0), _list(args, 1)
    if len(keys) != len(values):
        raise FuncError(f"{len(keys)} keys but {len(values)} values; the lists must be the same length", 1)
    return dict(zip(keys, values, strict=True))


def f_range(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    nums = [_num(args, i) for i in range(len(args))]
    start: int | float
    limit: int | float
    step: int | float
    if len(nums) == 1:
        start, limit, step = 0, nums[0], 1
    elif len(nums) == 2:
        start, limit, step = nums[0], nums[1], (1 if nums[1] >= nums[0] else -1)
    else:
        start, limit, step = nums[0], nums[1], nums[2]
    if step == 0:
        raise FuncError("the step must not be zero", 2)
    count = max(0, math.ceil((limit - start) / step))
    if count > 1024:
        raise FuncError(f"the range would have {count} elements; at most 1024 are allowed", None)
    return [normalize_number(start + i * step) for i in range(count)]


def f_min(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return min(_num(args, i) for i in range(len(args)))


def f_max(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return max(_num(args, i) for i in range(len(args)))


def f_sum(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    items = _list(args, 0)
    total: int | float = 0
    for v in items:
        try:
            total += to_number(v)
        except ConversionError as exc:
            raise FuncError(str(exc), 0) from None
    return normalize_number(total)


def f_one(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    items = _list(args, 0)
    if len(items) > 1:
        raise FuncError(f"the list has {len(items)} elements; one() accepts at most one", 0)
    return items[0] if items else None


def f_alltrue(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    try:
        return all(to_bool(v) for v in _list(args, 0))
    except ConversionError as exc:
        raise FuncError(str(exc), 0) from None


def f_anytrue(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    try:
        return any(to_bool(v) for v in _list(args, 0))
    except ConversionError as exc:
        raise FuncError(str(exc), 0) from None


# --- encoding and conversion --------------------------------------------------------------------


def f_jsonencode(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return json.dumps(args[0], sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _from_decoded(v: Any) -> Any:
    if isinstance(v, float):
        return normalize_number(v)
    if isinstance(v, list):
        return [_from_decoded(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _from_decoded(x) for k, x in v.items()}
    return v


def f_jsondecode(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    try:
        return _from_decoded(json.loads(_str(args, 0)))
    except json.JSONDecodeError as exc:
        raise FuncError(f"the string is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", 0) from None


def f_yamlencode(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return yaml.safe_dump(args[0], sort_keys=True, default_flow_style=False, allow_unicode=True)


def f_yamldecode(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    try:
        return _from_decoded(yaml.safe_load(_str(args, 0)))
    except yaml.YAMLError as exc:
        raise FuncError(f"the string is not valid YAML: {exc}", 0) from None


def f_tostring(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return None if args[0] is None else _str(args, 0)


def f_tonumber(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    if args[0] is None:
        return None
    v = args[0]
    if isinstance(v, str) and parse_number(v) is None:
        raise FuncError(f"cannot convert {describe(v)} to a number", 0)
    return _num(args, 0)


def f_tobool(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    if args[0] is None:
        return None
    try:
        return to_bool(args[0])
    except ConversionError as exc:
        raise FuncError(str(exc), 0) from None


def f_base64encode(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    return base64.b64encode(_str(args, 0).encode()).decode()


# --- error handling ------------------------------------------------------------------------------


def f_can(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    (expr, frame), = args
    try:
        value = ev.eval(expr, frame)
    except EvalError as exc:
        if exc.static:
            raise
        return False
    if value is INVALID:
        return INVALID
    unknown = deep_unknown(value)
    return unknown if unknown is not None else True


def f_try(ev: Evaluating, args: list[Any], pos: SourcePos) -> Any:
    last: EvalError | None = None
    for expr, frame in args:
        try:
            value = ev.eval(expr, frame)
        except EvalError as exc:
            if exc.static:
                raise
            last = exc
            continue
        if value is INVALID:
            return INVALID
        unknown = deep_unknown(value)
        return unknown if unknown is not None else value
    reason = f" The last error was: {last.summary}: {last.detail}" if last else ""
    raise EvalError(
        "Error in function call: try", f"No expression given to try() produced a result without errors.{reason}", pos
    )


def _f(impl: Impl, *params: str, variadic: str | None = None, optional: int = 0, unknowns: str = "deep") -> Func:
    return Func(impl, params, variadic, optional, unknowns)  # type: ignore[arg-type]


FUNCTIONS: dict[str, Func] = {
    # files
    "file": _f(f_file, "path"),
    "fileexists": _f(f_fileexists, "path"),
    "filesha256": _f(f_filesha256, "path"),
    "templatefile": _f(f_templatefile, "path", "vars"),
    # strings
    "format": _f(f_format, "format", variadic="args"),
    "join": _f(f_join, "separator", "list", variadic="lists"),
    "split": _f(f_split, "separator", "string"),
    "lower": _f(_simple_str(str.lower), "string"),
    "upper": _f(_simple_str(str.upper), "string"),
    "title": _f(_simple_str(lambda s: re.sub(r"\b\w", lambda m: m.group(0).upper(), s)), "string"),
    "replace": _f(f_replace, "string", "substring", "replacement"),
    "trimspace": _f(_simple_str(str.strip), "string"),
    "chomp": _f(_simple_str(lambda s: s.rstrip("\r\n")), "string"),
    "strrev": _f(_simple_str(lambda s: s[::-1]), "string"),
    "trim": _f(f_trim, "string", "cutset"),
    "trimprefix": _f(f_trimprefix, "string", "prefix"),
    "trimsuffix": _f(f_trimsuffix, "string", "suffix"),
    "startswith": _f(lambda ev, a, p: _str(a, 0).startswith(_str(a, 1)), "string", "prefix"),
    "endswith": _f(lambda ev, a, p: _str(a, 0).endswith(_str(a, 1)), "string", "suffix"),
    "substr": _f(f_substr, "string", "offset", "length"),
    "regex": _f(f_regex, "pattern", "string"),
    "regexall": _f(f_regexall, "pattern", "string"),
    "sha256": _f(_hash("sha256"), "string"),
    "sha1": _f(_hash("sha1"), "string"),
    "sha512": _f(_hash("sha512"), "string"),
    "md5": _f(_hash("md5"), "string"),
    "base64encode": _f(f_base64encode, "string"),
    "base64decode": _f(f_base64decode, "string"),
    # collections
    "length": _f(f_length, "value", unknowns="top"),
    "concat": _f(f_concat, variadic="lists", unknowns="top"),
    "merge": _f(f_merge, variadic="maps", unknowns="top"),
    "lookup": _f(f_lookup, "map", "key", "default", optional=1, unknowns="top"),
    "keys": _f(f_keys, "map", unknowns="top"),
    "values": _f(f_values, "map", unknowns="top"),
    "contains": _f(f_contains, "list", "value"),
    "toset": _f(f_toset, "value"),
    "tolist": _f(f_tolist, "value", unknowns="top"),
    "tomap": _f(f_tomap, "value", unknowns="top"),
    "coalesce": _f(f_coalesce, variadic="values", unknowns="top"),
    "flatten": _f(f_flatten, "list"),
    "distinct": _f(f_distinct, "list"),
    "sort": _f(f_sort, "list"),
    "reverse": _f(f_reverse, "list", unknowns="top"),
    "element": _f(f_element, "list", "index", unknowns="top"),
    "slice": _f(f_slice, "list", "start_index", "end_index", unknowns="top"),
    "zipmap": _f(f_zipmap, "keys", "values", unknowns="top"),
    "range": _f(f_range, "start", "limit", "step", optional=2),
    "min": _f(f_min, variadic="numbers"),
    "max": _f(f_max, variadic="numbers"),
    "sum": _f(f_sum, "list"),
    "abs": _f(lambda ev, a, p: abs(_num(a, 0)), "number"),
    "ceil": _f(lambda ev, a, p: math.ceil(_num(a, 0)), "number"),
    "floor": _f(lambda ev, a, p: math.floor(_num(a, 0)), "number"),
    "one": _f(f_one, "list", unknowns="top"),
    "alltrue": _f(f_alltrue, "list"),
    "anytrue": _f(f_anytrue, "list"),
    # encoding and conversion
    "jsonencode": _f(f_jsonencode, "value"),
    "jsondecode": _f(f_jsondecode, "string"),
    "yamlencode": _f(f_yamlencode, "value"),
    "yamldecode": _f(f_yamldecode, "string"),
    "tostring": _f(f_tostring, "value"),
    "tonumber": _f(f_tonumber, "value"),
    "tobool": _f(f_tobool, "value"),
    # errors
    "can": _f(f_can, "expression", unknowns="lazy"),
    "try": _f(f_try, variadic="expressions", unknowns="lazy"),
}

__all__ = ["FUNCTIONS", "Func", "FuncError", "call", "type_name"]
