"""Filesystem and template functions. Paths are relative to the configuration directory and may not
leave it (unlike Terraform: a configuration from a pull request must not read the reviewer's
files). A file's content is part of the configuration: each read is recorded with its digest."""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Any

from imgb import digests
from imgb.diagnostics import SourcePos
from imgb.fsops import read_inside
from imgb.reconciler.config.functions import Call, FuncError, Param, function
from imgb.reconciler.config.types import STRING
from imgb.reconciler.config.values import MapV, nfc
from imgb.unknown import CLOSE, OPEN

P = Param("path", STRING)


def _resolve_path(c: Call, raw: str, i: int) -> tuple[Path, str]:
    """The file ``raw`` names, checked to stay inside the configuration directory."""
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
    root = c.ev.ctx.directory.resolve()
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


def read_bytes(c: Call, raw: str, i: int = 0) -> tuple[bytes, str]:
    _, rel = _resolve_path(c, raw, i)
    try:
        data = read_inside(c.ev.ctx.directory, rel)  # the check above, kept by the kernel at the open
    except FileNotFoundError:
        raise FuncError(f'no file exists at "{rel}" (paths are relative to the configuration directory)', i) from None
    except IsADirectoryError:
        raise FuncError(f'"{rel}" is a directory, not a file', i) from None
    except OSError as exc:
        raise FuncError(f'"{rel}" cannot be read: {exc.strerror}', i) from None
    c.ev.ctx.file_digests[rel] = digests.sha256_hex(data)
    return data, rel


def read_text(c: Call, raw: str, i: int = 0) -> tuple[str, str]:
    data, rel = read_bytes(c, raw, i)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FuncError(
            f'contents of "{rel}" are not valid UTF-8; use the filebase64 function to obtain the Base64 '
            "encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing "
            "results instead",
            i,
        ) from None
    if OPEN in text or CLOSE in text:
        raise FuncError(f'"{rel}" contains the private-use characters U+E000/U+E001, which imgb reserves', i)
    c.ev.ctx.files_read[rel] = text
    return nfc(text), rel


@function("file", P)
def f_file(c: Call, a: list[Any]) -> Any:
    return read_text(c, a[0])[0]


def _base64(data: bytes) -> str:
    """``base64.b64encode(data).decode()``, without importing ``base64`` (and its ``re`` work)."""
    import binascii

    return binascii.b2a_base64(data, newline=False).decode("ascii")


@function("filebase64", P)
def f_filebase64(c: Call, a: list[Any]) -> Any:
    return _base64(read_bytes(c, a[0])[0])


@function("fileexists", P)
def f_fileexists(c: Call, a: list[Any]) -> Any:
    path, _ = _resolve_path(c, a[0], 0)
    try:
        if path.exists() and not path.is_file():
            raise FuncError(f'"{a[0]}" is not a regular file, but "{"directory" if path.is_dir() else "other"}"', 0)
        return path.is_file()
    except OSError as exc:  # a name too long, a loop: exists() lets these through
        raise FuncError(f'"{a[0]}" cannot be checked: {exc.strerror}', 0) from None


def _file_hash(algo: str, b64: bool = False) -> Any:
    def impl(c: Call, a: list[Any]) -> Any:
        import hashlib  # md5, sha1, sha512: OpenSSL's, loaded when called

        h = hashlib.new(algo, read_bytes(c, a[0])[0])
        return _base64(h.digest()) if b64 else h.hexdigest()

    return impl


for _name, _algo, _b64 in (
    ("filemd5", "md5", False), ("filesha1", "sha1", False), ("filesha256", "sha256", False),
    ("filesha512", "sha512", False), ("filebase64sha256", "sha256", True), ("filebase64sha512", "sha512", True),
):  # fmt: skip
    function(_name, P)(_file_hash(_algo, _b64))


@function("basename", P)
def f_basename(c: Call, a: list[Any]) -> Any:
    p = a[0]
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p.rsplit("/", 1)[-1]


@function("dirname", P)
def f_dirname(c: Call, a: list[Any]) -> Any:
    p = a[0]
    i = p.rfind("/")
    d = _clean(p[: i + 1])
    return d


def _clean(p: str) -> str:
    """Go's filepath.Clean."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    parts: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


@function("abspath", P)
def f_abspath(c: Call, a: list[Any]) -> Any:
    p = a[0]
    if not p.startswith("/"):
        p = str(c.ev.ctx.directory.resolve()) + "/" + p
    return _clean(p)


@function("pathexpand", P)
def f_pathexpand(c: Call, a: list[Any]) -> Any:
    p = a[0]
    if not p.startswith("~"):
        return p
    home = os.environ.get("HOME") or str(Path.home())
    if p == "~":
        return home
    if p.startswith("~/"):
        return posixpath.join(home, p[2:])
    return p


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """doublestar's syntax: ``**`` any number of directories, ``*`` and ``?`` within a name,
    ``[...]`` classes, ``{a,b}`` alternatives."""
    out = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                raise FuncError(f'failed to glob pattern "{pattern}": syntax error in pattern', 1)
            body = pattern[i + 1 : j]
            if body.startswith(("!", "^")):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        elif ch == "{":
            depth += 1
            out.append("(?:")
            i += 1
        elif ch == "}" and depth:
            depth -= 1
            out.append(")")
            i += 1
        elif ch == "," and depth:
            out.append("|")
            i += 1
        elif ch == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    if depth:
        raise FuncError(f'failed to glob pattern "{pattern}": syntax error in pattern', 1)
    return re.compile("".join(out) + r"\Z")


@function("fileset", P, Param("pattern", STRING))
def f_fileset(c: Call, a: list[Any]) -> Any:
    from imgb.reconciler.config.convert import make_set

    base, rel = _resolve_path(c, a[0], 0) if a[0] not in ("", ".") else (c.ev.ctx.directory.resolve(), ".")
    rx = _glob_regex(a[1])
    out: list[str] = []
    try:
        is_dir = base.is_dir()
    except OSError as exc:
        raise FuncError(f'"{a[0]}" cannot be read: {exc.strerror}', 0) from None
    if is_dir:
        for root, dirs, files in os.walk(base):
            dirs.sort()
            for f in files:
                full = Path(root) / f
                if not full.is_file():
                    continue
                name = full.relative_to(base).as_posix()
                if rx.match(name):
                    out.append(name)
    for name in out:
        # The digests make the files part of what the configuration's hash covers; read as file() reads.
        read_bytes(c, posixpath.normpath(posixpath.join(rel, name)), 0)
    return make_set([nfc(x) for x in out], STRING)


_TEMPLATE_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def render_template(c: Call, text: str, source: str, variables: Any, arg: int) -> Any:
    from imgb.reconciler.config.context import Context, EvalError
    from imgb.reconciler.config.hcl import SyntaxProblem, parse_template

    if not isinstance(variables, dict):
        raise FuncError("invalid vars value: must be a map", arg)
    for name in variables:
        if not _TEMPLATE_VAR.match(name):
            raise FuncError(f'invalid template variable name "{name}": must start with a letter, followed by zero or '
                            "more letters, digits, and underscores", arg)
    try:
        template = parse_template(text, source)
    except SyntaxProblem as p:
        raise EvalError(p.diag.summary, p.diag.detail, p.diag.pos) from None

    def no_refs(root: str, name: str, ref_pos: SourcePos) -> Any:
        raise EvalError(
            "Invalid reference in template",
            f"A template can use only the variables passed to it, not {root}.{name}. Pass the value in the "
            "second argument.",
            ref_pos,
        )

    ctx = c.ev.ctx
    sub = c.ev.with_context(
        Context(
            ctx.directory, no_refs, ctx.file_digests, ctx.files_read, tuple(variables), ctx.volatile,
            {**ctx.extra_functions, "templatefile": _no_recursion, "templatestring": _no_recursion},
        )
    )
    return sub.eval(template, dict(variables.items()) if not isinstance(variables, MapV) else dict(variables))


def _recursive(c: Call, a: list[Any]) -> Any:
    raise FuncError(f"cannot recursively call {c.name} from inside another template function")


_no_recursion: Any = None  # set below, once Func exists


@function("templatefile", P, Param("vars"))
def f_templatefile(c: Call, a: list[Any]) -> Any:
    text, rel = read_text(c, a[0])
    return render_template(c, text, rel, a[1], 1)


@function("templatestring", Param("template", STRING), Param("vars"))
def f_templatestring(c: Call, a: list[Any]) -> Any:
    from imgb.reconciler.config import ast

    first = c.args[0] if c.args else None
    if isinstance(first, ast.TemplateExpr) and any(not isinstance(p, ast.LiteralValue) for p in first.parts):
        raise FuncError(
            "invalid template expression: templatestring is only for rendering templates retrieved dynamically "
            "from elsewhere; to treat the inner expression as template syntax, write the reference expression "
            "directly without any template interpolation syntax",
            0,
        )
    return render_template(c, a[0], "<templatestring>", a[1], 1)


def _make_no_recursion() -> Any:
    from imgb.reconciler.config.functions import Func
    from imgb.reconciler.config.functions import Param as _P

    return Func(_recursive, (_P("path"), _P("vars")))


_no_recursion = _make_no_recursion()
