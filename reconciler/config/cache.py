"""A cache of parsed files: the pickled AST keyed by the file's bytes, its name, the versions and
the parser's code.

Parsing costs ~35 ms per 1000 blocks with the hand-written reader (~0.3 s when a file goes to
python-hcl2's grammar); unpickling the AST costs a small fraction.
The cache is an optimisation only: every error reading or writing it is ignored. Unpickling runs
code, so an entry loads only when this user wrote it: owner-only files and directories, and an HMAC
of a per-user secret kept outside the cache directory (``seal``), since an operator may put the
cache inside a checkout whose files a pull request chooses.
"""

from __future__ import annotations

import functools
import importlib.machinery
import os
import pickle
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from imgb import __version__, diagnostics, digests
from imgb.diagnostics import Diagnostic
from imgb.reconciler.config import ast
from imgb.reconciler.config.gc_pause import gc_paused

_CACHE_FORMAT = "2"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("IMGB_CACHE_DIR"):
        return Path(env["IMGB_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "imgb"
    return Path.home() / ".cache" / "imgb"


def _key(data: bytes, filename: str) -> str:
    h = digests.new(len(data))
    for part in (__version__, ast.AST_VERSION, _CACHE_FORMAT, filename):
        h.update(part.encode() + b"\0")
    h.update(_code_digest())
    h.update(data)
    return h.hexdigest()


def parser_files() -> list[Path]:
    """The code that decides a parsed file's AST: imgb's parser modules and python-hcl2's grammar
    and post-lexer, with Lark's version."""
    here = Path(__file__).parent
    files = [here / name for name in ("hcl.py", "hcl_reader.py", "ast.py", "cache.py")]
    files.append(Path(diagnostics.__file__))
    for package, names in (("hcl2", ("hcl2.lark", "postlexer.py")), ("lark", ("__init__.py",))):
        spec = importlib.machinery.PathFinder.find_spec(package)  # finds without importing
        for location in (spec.submodule_search_locations or []) if spec else []:
            files += [Path(location) / name for name in names]
    return files


def digest(files: Iterable[Path]) -> bytes:
    h = digests.sha256()
    for path in files:
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"missing " + str(path).encode())
        h.update(b"\0")
    return h.digest()


@functools.cache
def _code_digest() -> bytes:
    """Part of every key: an edited parser (a developer's change, an upgrade of python-hcl2 or
    Lark) never loads an AST the old code built. Hashing the ~100 KB costs well under 1 ms."""
    return digest(parser_files())


store_hook: Callable[[Path, tuple[ast.Body | None, list[Diagnostic]], int], bool] | None = None
"""Given an entry to store and the size of its file: True when it took the store over
(``store_behind``)."""


def entry_path(data: bytes, filename: str, env: Mapping[str, str] | None = None) -> Path:
    """Where the entry for ``data`` read from ``filename`` lives (raises without a home directory)."""
    return cache_dir(env) / "parsed" / (_key(data, filename) + ".pickle")


def parse_cached(
    data: bytes, filename: str, env: Mapping[str, str] | None = None
) -> tuple[ast.Body | None, list[Diagnostic]]:
    """Parse ``data`` (a file's bytes) as ``filename``, through the cache when possible."""
    try:
        path = entry_path(data, filename, env)
    except Exception:  # noqa: BLE001 - no home directory: parse without a cache
        return parse_text(data, filename)
    try:
        with open(path, "rb") as f, gc_paused():
            if not _trusted(path.parent, os.fstat(f.fileno())):
                raise PermissionError(path)
            cached = pickle.loads(unseal(f.read()))
        if isinstance(cached, tuple) and len(cached) == 2:
            return cached[0], list(cached[1])
    except Exception:  # noqa: BLE001 - a missing or corrupt entry is a miss
        pass
    result = parse_text(data, filename)
    if store_hook is None or not store_hook(path, result, len(data)):
        store(path, result)
    return result


def parse_text(data: bytes, filename: str) -> tuple[ast.Body | None, list[Diagnostic]]:
    """Parse ``data`` as ``filename`` without the cache."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        from imgb.diagnostics import SourcePos, error

        line = data.count(b"\n", 0, e.start) + 1
        return None, [
            error(
                "Invalid file encoding",
                f"The file is not valid UTF-8 (byte {e.start}). Save it as UTF-8.",
                SourcePos(filename, line),
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is not content
    return _parse(text, filename)


def _parse(text: str, filename: str) -> tuple[ast.Body | None, list[Diagnostic]]:
    from imgb.reconciler.config import (
        hcl,  # python-hcl2 and Lark cost 0.1 s to import; a cache hit needs neither
    )

    return hcl.parse(text, filename)


def _key_file() -> Path:
    """The secret that seals this user's entries: in the user's configuration directory, never in
    the cache directory, which an operator may put inside a checkout (a pull request then commits
    entries of its choosing there; pickle runs whatever they say)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "imgb" / "cache-key"


@functools.cache
def _secret() -> bytes:
    path = _key_file()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        if not _trusted(path.parent, os.fstat(f.fileno())):
            raise PermissionError(path)
        key = f.read()
    if len(key) < 32:
        raise ValueError(f"{path}: too short")
    return key


def seal(data: bytes) -> bytes:
    """``data`` behind an HMAC of this user's secret: only entries imgb wrote for this user load."""
    return digests.hmac_sha256(_secret(), data) + data


def unseal(blob: bytes) -> bytes:
    """The data of a sealed entry; raises ValueError when someone else wrote it."""
    mac, data = blob[:32], blob[32:]
    if not digests.compare_digest(mac, digests.hmac_sha256(_secret(), data)):
        raise ValueError("not sealed by this user")
    return data


def _trusted(directory: Path, st: os.stat_result) -> bool:
    """Unpickling runs code: only entries this user wrote, in a directory no one else can write."""
    def private(s: os.stat_result) -> bool:
        return s.st_uid == os.geteuid() and not s.st_mode & 0o022

    try:
        return private(st) and private(os.stat(directory))
    except OSError:
        return False


def store(path: Path, result: tuple[ast.Body | None, list[Diagnostic]]) -> None:
    try:
        missing, d = [], path.parent
        while not d.exists():
            missing.append(d)
            d = d.parent
        for d in reversed(missing):  # owner-only whatever the umask: entries are loaded with pickle
            d.mkdir(mode=0o700, exist_ok=True)
            os.chmod(d, 0o700)
        import tempfile  # only on a miss

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(seal(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)))
            os.replace(tmp, path)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:  # noqa: BLE001 - caching is best effort
        pass
