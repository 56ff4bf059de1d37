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

import contextlib
import copy
import hashlib
import os
import shutil
import stat
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from imgb import fsops
from imgb.providers.local.inroot import clean_parts

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


MAX_DEPTH = 512
"""Directories nested deeper than this in a tree are refused (each level costs the walk a file
descriptor); real images stay far below it."""


class TreeTooDeep(Exception):
    """A tree with directories nested deeper than MAX_DEPTH (its path, cut short)."""


def snapshot(root: str) -> Snapshot:
    """Stat-walk ``root`` without following symlinks (directories opened by fd, O_NOFOLLOW), without
    recursion: RUN may leave any depth, and the walk must fail cleanly (TreeTooDeep), not overflow."""
    out: Snapshot = {}
    try:
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return out
    # One frame per open directory: its fd, its path, its entries and the next one to visit.
    stack: list[tuple[int, str, list[os.DirEntry[str]], int]] = []
    try:
        stack.append((top, "", _entries(top), 0))
        while stack:
            dirfd, rel, entries, i = stack[-1]
            if i == len(entries):
                stack.pop()
                os.close(dirfd)
                continue
            stack[-1] = (dirfd, rel, entries, i + 1)
            e = entries[i]
            st = e.stat(follow_symlinks=False)
            if stat.S_ISSOCK(st.st_mode):
                continue
            path = f"{rel}{e.name}"
            out[path] = Entry(st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            if stat.S_ISDIR(st.st_mode) and not (rel == "" and e.name in _RUNTIME_DIRS):
                if len(stack) >= MAX_DEPTH:
                    raise TreeTooDeep(path[:200] + "/...")
                try:
                    fd = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                try:
                    stack.append((fd, path + "/", _entries(fd), 0))
                except BaseException:
                    os.close(fd)
                    raise
    finally:
        for dirfd, *_ in stack:
            os.close(dirfd)
    return out


def _entries(dirfd: int) -> list[os.DirEntry[str]]:
    with os.scandir(dirfd) as it:
        return list(it)


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
    """A layer written: its blob's digest, size in bytes and number of entries."""

    digest: str
    size: int
    entries: int


DiskGuard = Callable[[int], None]
"""Told how many bytes are about to be written to the store's disk; raises to stop before the disk fills."""


class _HashingWriter:
    """A write-only stream that hashes what passes through (tarfile needs write and tell)."""

    def __init__(self, f: IO[bytes], guard: DiskGuard | None = None):
        self.f = f
        self.h = hashlib.sha256()
        self.n = 0
        self.guard = guard

    def tell(self) -> int:
        return self.n

    def write(self, b: bytes) -> int:
        if self.guard is not None:
            self.guard(len(b))
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
    extra: Sequence[tarfile.TarInfo] = (),
    guard: DiskGuard | None = None,
) -> LayerInfo:
    """Write a deterministic tar of ``paths`` (relative to ``root``) plus whiteouts for
    ``deleted`` to ``out``; returns its sha256 (the layer is uncompressed, so digest = diff_id).

    ``extra``: entries recorded as they are, not read from the tree: the device nodes of an
    imported image, which are never created on the host (``extract_layer``). ``guard``: see DiskGuard
    (a sparse file of the tree is written out in full).
    """
    hw = _HashingWriter(out, guard)
    names: list[tuple[str, str]] = [(p, "path") for p in paths]
    for d in deleted:
        parent, _, base = d.rpartition("/")
        names.append((f"{parent}/{WHITEOUT}{base}" if parent else f"{WHITEOUT}{base}", "whiteout"))
    extras = {ti.name: ti for ti in extra}
    names += [(name, "extra") for name in extras if name not in set(paths)]
    names.sort(key=lambda n: _sort_key(n[0]))
    seen_inodes: dict[tuple[int, int], str] = {}
    count = 0
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        with tarfile.open(fileobj=hw, mode="w", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            for name, kind in names:
                if kind == "whiteout":
                    ti = tarfile.TarInfo(name)
                    ti.mtime = epoch
                    ti.mode = 0o644
                    tar.addfile(ti)
                    count += 1
                    continue
                if kind == "extra":
                    ti = copy.copy(extras[name])
                    ti.mtime, ti.uname, ti.gname, ti.pax_headers = min(int(ti.mtime), epoch), "", "", {}
                    if uid_map:
                        ti.uid, ti.gid = uid_map(ti.uid), uid_map(ti.gid)
                    tar.addfile(ti)
                    count += 1
                    continue
                if _add_entry(tar, rootfd, name, epoch, uid_map, seen_inodes):
                    count += 1
    finally:
        os.close(rootfd)
    return LayerInfo("sha256:" + hw.h.hexdigest(), hw.n, count)


def _add_entry(tar: tarfile.TarFile, rootfd: int, name: str, epoch: int, uid_map: Callable[[int], int] | None,
               seen_inodes: dict[tuple[int, int], str]) -> bool:
    """Add tree entry ``name`` to ``tar``, opened beneath the root through no symlink."""
    parent, _, base = name.rpartition("/")
    try:
        pfd = fsops.open_beneath(rootfd, parent, os.O_PATH | os.O_DIRECTORY) if parent else os.dup(rootfd)
    except (FileNotFoundError, NotADirectoryError):
        return False
    fileobj: IO[bytes] | None = None
    try:
        try:
            st = os.stat(base, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        ti = tarfile.TarInfo(name)
        ti.mode = stat.S_IMODE(st.st_mode)
        ti.uid = uid_map(st.st_uid) if uid_map else st.st_uid
        ti.gid = uid_map(st.st_gid) if uid_map else st.st_gid
        ti.uname = ti.gname = ""
        ti.mtime = min(int(st.st_mtime), epoch)
        if stat.S_ISREG(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in seen_inodes:
                ti.type = tarfile.LNKTYPE
                ti.linkname = seen_inodes[key]
            else:
                fd = os.open(base, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=pfd)
                fileobj = os.fdopen(fd, "rb")
                fst = os.fstat(fd)
                if not stat.S_ISREG(fst.st_mode):
                    raise UnsafeEntry(f"{name} changed while its layer was written")
                seen_inodes[key] = name
                ti.type = tarfile.REGTYPE
                ti.size = fst.st_size
        elif stat.S_ISDIR(st.st_mode):
            ti.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(st.st_mode):
            ti.type = tarfile.SYMTYPE
            ti.linkname = os.readlink(base, dir_fd=pfd)
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            ti.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
            ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif stat.S_ISFIFO(st.st_mode):
            ti.type = tarfile.FIFOTYPE
        else:
            return False
        tar.addfile(ti, fileobj)
        return True
    finally:
        if fileobj:
            fileobj.close()
        os.close(pfd)


def all_paths(snap: Snapshot) -> list[str]:
    return sorted(snap, key=_sort_key)


# -- extraction ----------------------------------------------------------------------------------


class VerifyingReader:
    """Reads a blob while hashing it: a layer's digest is checked as it is applied."""

    def __init__(self, f: IO[bytes]):
        self.f = f
        self.h = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.h.update(data)
        return data

    def finish(self) -> str:
        """The digest of the whole blob (the rest, past the end of the tar, is read too)."""
        while self.read(1 << 20):
            pass
        return "sha256:" + self.h.hexdigest()


class UnsafeEntry(ValueError):
    """A layer entry that cannot be applied safely (reported, the build fails)."""


def iter_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        ti = tar.next()
        if ti is None:
            return
        yield ti


@dataclass
class Extracted:
    entries: int
    devices: list[tarfile.TarInfo]
    """Device nodes the layer holds: recorded, never created on the host."""


def extract_layer(fileobj: IO[bytes] | VerifyingReader, root: str, *, chown: bool = True,
                  guard: DiskGuard | None = None) -> Extracted:
    """Apply one layer (whiteouts included) onto ``root``.

    Everything goes through file descriptors: an entry's parent directory is opened (made if
    missing) with the image's own view of its links (``fsops.open_in_root``), and the entry is
    made in it by name with O_NOFOLLOW, so no link in the layer, and no later entry replacing a
    directory by a link, can make the host write, chmod or remove outside the tree. Device nodes
    are not made (the tree is no place for them, and RUN could open them); hard links must name
    a regular file in the tree. ``guard`` (DiskGuard) hears of each file before it is written: a small
    compressed layer may unpack to far more than the disk holds.
    """
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return _extract(fileobj, rootfd, chown, guard)
    finally:
        os.close(rootfd)


def _extract(fileobj: IO[bytes] | VerifyingReader, rootfd: int, chown: bool, guard: DiskGuard | None) -> Extracted:
    dir_times: list[tuple[str, float]] = []
    devices: list[tarfile.TarInfo] = []
    n = 0
    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:  # type: ignore[call-overload]
        for ti in iter_members(tar):
            parts = clean_parts(ti.name)
            if not parts:
                continue
            n += 1
            parent, base = "/".join(parts[:-1]), parts[-1]
            if base == OPAQUE or base.startswith(WHITEOUT):
                try:
                    pfd = fsops.open_in_root(rootfd, parent, os.O_RDONLY | os.O_DIRECTORY)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                try:
                    for child in os.listdir(pfd) if base == OPAQUE else [base[len(WHITEOUT):]]:
                        fsops.remove_at(pfd, child)
                finally:
                    os.close(pfd)
                continue
            if ti.ischr() or ti.isblk():
                ti.name = "/".join(parts)
                devices.append(ti)
                continue
            if guard is not None and ti.isreg():
                guard(ti.size)
            pfd = fsops.mkdirs_in_root(rootfd, parent, replace=True)
            try:
                made = _apply(tar, ti, rootfd, pfd, base, chown)
            finally:
                os.close(pfd)
            if made is not None:
                dir_times.append((made, ti.mtime))
    # Directory times last (their entries changed them), through no link: a directory that a later
    # entry moved or replaced by a link is skipped, never followed.
    for path, mtime in reversed(dir_times):
        try:
            fd = fsops.open_beneath(rootfd, path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            os.utime(fd, (mtime, mtime))
        finally:
            os.close(fd)
    return Extracted(n, devices)


def _apply(tar: tarfile.TarFile, ti: tarfile.TarInfo, rootfd: int, pfd: int, base: str, chown: bool) -> str | None:
    """Make entry ``base`` of directory ``pfd`` from ``ti``; returns the directory's path in the
    tree when it made a directory (its time is set at the end)."""
    existing = fsops.lstat_at(pfd, base)
    if ti.isdir():
        if existing is not None and not stat.S_ISDIR(existing.st_mode):
            fsops.remove_at(pfd, base)
            existing = None
        if existing is None:
            os.mkdir(base, 0o700, dir_fd=pfd)
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
        try:
            _meta(fd, ti, chown)
            return os.path.relpath(os.readlink(f"/proc/self/fd/{fd}"), os.readlink(f"/proc/self/fd/{rootfd}"))
        finally:
            os.close(fd)
    if existing is not None:
        fsops.remove_at(pfd, base)
    if ti.isreg():
        src = tar.extractfile(ti)
        fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=pfd)
        with os.fdopen(fd, "wb") as f:
            if src is not None:
                shutil.copyfileobj(src, f, 1 << 20)
            f.flush()
            _meta(fd, ti, chown)
    elif ti.issym():
        os.symlink(ti.linkname, base, dir_fd=pfd)
        if chown:
            with contextlib.suppress(OSError):
                os.chown(base, ti.uid, ti.gid, dir_fd=pfd, follow_symlinks=False)
        os.utime(base, (ti.mtime, ti.mtime), dir_fd=pfd, follow_symlinks=False)
    elif ti.islnk():
        target = clean_parts(ti.linkname)
        try:
            tfd = fsops.open_in_root(rootfd, "/".join(target[:-1]), os.O_PATH | os.O_DIRECTORY) if target else None
        except OSError:
            tfd = None
        if tfd is None:
            raise UnsafeEntry(f"hard link {ti.name!r} -> {ti.linkname!r}: target missing or not a regular file")
        try:
            st = fsops.lstat_at(tfd, target[-1])
            if st is None or not stat.S_ISREG(st.st_mode):
                raise UnsafeEntry(f"hard link {ti.name!r} -> {ti.linkname!r}: target missing or not a regular file")
            os.link(target[-1], base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        finally:
            os.close(tfd)
    elif ti.isfifo():
        os.mkfifo(base, 0o600, dir_fd=pfd)
        fd = os.open(base, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
        try:
            _meta(fd, ti, chown)
        finally:
            os.close(fd)
    return None


def _meta(fd: int, ti: tarfile.TarInfo, chown: bool) -> None:
    """Owner, mode (after the owner: chown clears set-id bits) and time of an open entry."""
    if chown:
        with contextlib.suppress(OSError):
            os.fchown(fd, ti.uid, ti.gid)
    os.fchmod(fd, ti.mode & 0o7777)
    os.utime(fd, (ti.mtime, ti.mtime))


def extract_file(path: Path, root: str) -> Extracted:
    with open(path, "rb") as f:
        return extract_layer(f, root)
