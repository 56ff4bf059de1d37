"""Image layers: snapshots of a root directory as deterministic tar files, and safe extraction.

A layer is the difference between two stat walks of the tree (before and after a step): the
changed entries, plus ``.wh.NAME`` whiteouts for deleted ones. The tar is reproducible: entries
sorted by path (a directory before its contents), PAX format, numeric owners only, mtimes
clamped to an epoch, no atime/ctime, so the same inputs give the same digest.

Extraction never trusts the archive: every path is resolved inside the root (``inroot``), the
final component is replaced rather than followed, and hard links must point at a regular file
inside the root. ``tarfile.extractall`` is not used: it follows symlinks out of the target.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from imgb.providers.local.inroot import clean_parts, resolve_in_root

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
# Mount points the sandbox covers at run time: only their own entry belongs in a layer.
_RUNTIME_DIRS = frozenset({"proc", "sys", "dev"})


class Entry(NamedTuple):
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int


Snapshot = dict[str, Entry]
"""Relative path ("etc/passwd") -> its stat, for every entry under a root."""


def snapshot(root: str) -> Snapshot:
    """Stat-walk ``root`` without following symlinks."""
    out: Snapshot = {}

    def walk(host: str, rel: str) -> None:
        try:
            it = os.scandir(host)
        except (FileNotFoundError, NotADirectoryError):
            return
        with it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                if stat.S_ISSOCK(st.st_mode):
                    continue
                path = f"{rel}{e.name}"
                out[path] = Entry(st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                if stat.S_ISDIR(st.st_mode) and not (rel == "" and e.name in _RUNTIME_DIRS):
                    walk(e.path, path + "/")

    walk(root, "")
    return out


def diff(before: Snapshot, after: Snapshot) -> tuple[list[str], list[str]]:
    """(changed or added paths, deleted paths) between two snapshots, sorted. A deleted
    directory is reported once, not with its contents."""
    changed = sorted(p for p, e in after.items() if before.get(p) != e)
    gone = set(before) - set(after)
    deleted = sorted(p for p in gone if _parent(p) not in gone)
    return changed, deleted


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


@dataclass(frozen=True)
class LayerInfo:
    digest: str
    size: int
    entries: int


class _HashingWriter:
    """A write-only stream that hashes what passes through (tarfile needs write and tell)."""

    def __init__(self, f: IO[bytes]):
        self.f = f
        self.h = hashlib.sha256()
        self.n = 0

    def tell(self) -> int:
        return self.n

    def write(self, b: bytes) -> int:
        self.h.update(b)
        self.n += len(b)
        self.f.write(b)
        return len(b)


def _sort_key(path: str) -> tuple[str, ...]:
    # Component-wise so "a/b" sorts right after "a", before "a-b": a directory precedes its contents.
    return tuple(path.split("/"))


def write_layer(
    root: str,
    paths: list[str],
    deleted: list[str],
    out: IO[bytes],
    *,
    epoch: int,
    uid_map: Callable[[int], int] | None = None,
) -> LayerInfo:
    """Write a deterministic tar of ``paths`` (relative to ``root``) plus whiteouts for
    ``deleted`` to ``out``; returns its sha256 (the layer is uncompressed, so digest = diff_id)."""
    hw = _HashingWriter(out)
    names: list[tuple[str, bool]] = [(p, False) for p in paths]
    for d in deleted:
        parent, _, base = d.rpartition("/")
        names.append((f"{parent}/{WHITEOUT}{base}" if parent else f"{WHITEOUT}{base}", True))
    names.sort(key=lambda n: _sort_key(n[0]))
    seen_inodes: dict[tuple[int, int], str] = {}
    count = 0
    with tarfile.open(fileobj=hw, mode="w", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for name, is_whiteout in names:
            if is_whiteout:
                ti = tarfile.TarInfo(name)
                ti.mtime = epoch
                ti.mode = 0o644
                tar.addfile(ti)
                count += 1
                continue
            host = os.path.join(root, name)
            try:
                st = os.lstat(host)
            except FileNotFoundError:
                continue
            ti = tarfile.TarInfo(name)
            ti.mode = stat.S_IMODE(st.st_mode)
            ti.uid = uid_map(st.st_uid) if uid_map else st.st_uid
            ti.gid = uid_map(st.st_gid) if uid_map else st.st_gid
            ti.uname = ti.gname = ""
            ti.mtime = min(int(st.st_mtime), epoch)
            fileobj: IO[bytes] | None = None
            if stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in seen_inodes:
                    ti.type = tarfile.LNKTYPE
                    ti.linkname = seen_inodes[key]
                else:
                    seen_inodes[key] = name
                    ti.type = tarfile.REGTYPE
                    ti.size = st.st_size
                    fileobj = open(host, "rb")
            elif stat.S_ISDIR(st.st_mode):
                ti.type = tarfile.DIRTYPE
            elif stat.S_ISLNK(st.st_mode):
                ti.type = tarfile.SYMTYPE
                ti.linkname = os.readlink(host)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                ti.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
                ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            elif stat.S_ISFIFO(st.st_mode):
                ti.type = tarfile.FIFOTYPE
            else:
                continue
            try:
                tar.addfile(ti, fileobj)
            finally:
                if fileobj:
                    fileobj.close()
            count += 1
    return LayerInfo("sha256:" + hw.h.hexdigest(), hw.n, count)


def all_paths(snap: Snapshot) -> list[str]:
    return sorted(snap, key=_sort_key)


# -- extraction ----------------------------------------------------------------------------------


class UnsafeEntry(ValueError):
    """A layer entry that cannot be applied safely (reported, the build fails)."""


def _can_mknod() -> bool:
    # Device nodes only as real root outside a user namespace; elsewhere /dev is a tmpfs anyway.
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return False


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def iter_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        ti = tar.next()
        if ti is None:
            return
        yield ti


def extract_layer(fileobj: IO[bytes], root: str, *, chown: bool = True) -> int:
    """Apply one layer (whiteouts included) onto ``root``; returns the number of entries."""
    mknod_ok = _can_mknod()
    dir_meta: list[tuple[str, int, float]] = []
    n = 0
    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
        for ti in iter_members(tar):
            parts = clean_parts(ti.name)
            if not parts:
                continue
            n += 1
            parent = resolve_in_root(root, "/".join(parts[:-1]))
            base = parts[-1]
            if base == OPAQUE:
                if os.path.isdir(parent) and not os.path.islink(parent):
                    for child in os.listdir(parent):
                        _remove(os.path.join(parent, child))
                continue
            if base.startswith(WHITEOUT):
                _remove(os.path.join(parent, base[len(WHITEOUT) :]))
                continue
            if not os.path.isdir(parent) or os.path.islink(parent):
                _mkdirs_in_root(root, "/".join(parts[:-1]))
                parent = resolve_in_root(root, "/".join(parts[:-1]))
            target = os.path.join(parent, base)
            existing = os.lstat(target) if os.path.lexists(target) else None
            if ti.isdir():
                if existing and not stat.S_ISDIR(existing.st_mode):
                    _remove(target)
                    existing = None
                if not existing:
                    os.mkdir(target, 0o700)
                dir_meta.append((target, ti.mode, ti.mtime))
            else:
                if existing:
                    _remove(target)
                if ti.isreg():
                    src = tar.extractfile(ti)
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                    with os.fdopen(fd, "wb") as f:
                        if src is not None:
                            shutil.copyfileobj(src, f, 1 << 20)
                elif ti.issym():
                    os.symlink(ti.linkname, target)
                elif ti.islnk():
                    link_src = resolve_in_root(root, ti.linkname, follow_final=False)
                    if not os.path.isfile(link_src) or os.path.islink(link_src):
                        raise UnsafeEntry(
                            f"hard link {ti.name!r} -> {ti.linkname!r}: target missing or not a regular file"
                        )
                    os.link(link_src, target)
                    continue
                elif ti.ischr() or ti.isblk():
                    if not mknod_ok:
                        continue
                    kind = stat.S_IFCHR if ti.ischr() else stat.S_IFBLK
                    os.mknod(target, kind | ti.mode, os.makedev(ti.devmajor, ti.devminor))
                elif ti.isfifo():
                    os.mkfifo(target, ti.mode)
                else:
                    continue
            if chown:
                try:
                    os.lchown(target, ti.uid, ti.gid)
                except OSError:
                    pass
            if not ti.issym():
                os.chmod(target, ti.mode & 0o7777)
                os.utime(target, (ti.mtime, ti.mtime))
            else:
                os.utime(target, (ti.mtime, ti.mtime), follow_symlinks=False)
    # Directory modes and times last, deepest first, so read-only dirs do not block extraction.
    for path, mode, mtime in reversed(dir_meta):
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, mode & 0o7777)
            os.utime(path, (mtime, mtime))
    return n


def _mkdirs_in_root(root: str, rel: str) -> None:
    parts = clean_parts(rel)
    for i in range(1, len(parts) + 1):
        p = resolve_in_root(root, "/".join(parts[:i]))
        if os.path.lexists(p) and not os.path.isdir(p):
            _remove(p)
        if not os.path.exists(p):
            os.mkdir(p, 0o755)


def extract_file(path: Path, root: str) -> int:
    with open(path, "rb") as f:
        return extract_layer(f, root)
