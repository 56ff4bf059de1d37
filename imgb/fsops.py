"""File operations on untrusted trees, by file descriptor.

Image trees (base layers, what RUN left behind) and configuration directories (COPY sources)
are not trusted: any component of a path may be a symbolic link, and between a check and a use
by path a component may be swapped for one. So nothing here checks a path and then uses it:
every operation starts from a directory file descriptor and lets the kernel resolve the rest.

* ``open_beneath``: no symbolic link at all, never above the directory (``openat2`` with
  RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
* ``open_inside``: symbolic links allowed while they stay below the directory (RESOLVE_BENEATH),
  for COPY sources that link within the configuration directory;
* ``open_in_root``: the image's own view, where links are resolved as after a chroot to the tree
  (RESOLVE_IN_ROOT: an absolute target starts at the tree, ``..`` stops there), for COPY
  destinations, WORKDIR and the parents of layer entries.

On kernels without openat2 (before 5.6) the same rules are kept by walking one component at a
time from a directory fd with O_NOFOLLOW, resolving links by hand. Magic links (/proc/self/fd/N)
are never followed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from typing import Any

SYS_OPENAT2 = 437  # the same number on every architecture
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10
MAX_SYMLINKS = 40

_have_openat2: bool | None = None
_syscall: Any = None
"""libc's syscall() and openat2's struct, through ctypes: loaded at the first openat2 (~2 ms)."""


def _load_openat2() -> Any:
    global _syscall
    import ctypes

    class OpenHow(ctypes.Structure):
        _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]

    libc = ctypes.CDLL(None, use_errno=True)

    def syscall(dirfd: int, path: bytes, flags: int, mode: int, resolve: int) -> tuple[int, int]:
        how = OpenHow(flags, mode, resolve)
        fd = libc.syscall(SYS_OPENAT2, dirfd, path, ctypes.byref(how), ctypes.sizeof(how))
        return int(fd), (ctypes.get_errno() if fd < 0 else 0)

    _syscall = syscall
    return syscall


def _openat2(dirfd: int, path: str, flags: int, mode: int, resolve: int) -> int | None:
    """The fd, or None when this kernel has no openat2 (raises OSError for real errors)."""
    global _have_openat2
    if _have_openat2 is False:
        return None
    fd = _plain(dirfd, path, flags, mode)
    if fd is not None:
        return fd
    syscall = _syscall or _load_openat2()
    args = (flags | os.O_CLOEXEC, mode if flags & os.O_CREAT else 0, resolve | RESOLVE_NO_MAGICLINKS)
    while True:
        fd, e = syscall(dirfd, os.fsencode(path), *args)
        if fd >= 0:
            _have_openat2 = True
            return fd
        if e == errno.EAGAIN:  # the kernel saw a concurrent rename and refused to guess: retry
            continue
        if e in (errno.ENOSYS, errno.EPERM) and _have_openat2 is None:
            _have_openat2 = False  # EPERM: a seccomp filter (an old container runtime) refuses it
            return None
        raise OSError(e, os.strerror(e), path)


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def _plain(dirfd: int, path: str, flags: int, mode: int) -> int | None:
    """Open a short ``path`` made of real directories only (no symbolic link, no ``..``) below
    ``dirfd``, one component at a time with O_NOFOLLOW: what openat2 opens for it under every
    RESOLVE_ rule used here, without a single link followed. None for any other path and on any
    error, which openat2 (or the walk) then reports. Configuration files are such paths, and
    reading them this way spares a small command loading ctypes."""
    parts = path.split("/")
    if len(parts) > 3 or any(p in ("", ".", "..") for p in parts):
        return None  # "f/." and "f/" need f to be a directory: the kernel's rules, not the walk's
    cur = dirfd
    try:
        for name in parts[:-1]:
            nxt = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=cur)
            if cur != dirfd:
                os.close(cur)
            cur = nxt
        fd = os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=cur)
        if not flags & os.O_NOFOLLOW and stat.S_ISLNK(os.fstat(fd).st_mode):
            os.close(fd)  # O_PATH | O_NOFOLLOW opened the link itself; the caller follows links
            return None
        return fd
    except OSError:
        return None
    finally:
        if cur != dirfd:
            os.close(cur)


def open_beneath(dirfd: int, path: str, flags: int, mode: int = 0o600) -> int:
    """Open ``path`` below ``dirfd`` through no symbolic link (the last component included)."""
    fd = _openat2(dirfd, path or ".", flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
    if fd is not None:
        return fd
    parts = _parts(path)
    if ".." in parts:
        raise OSError(errno.EXDEV, "the path leaves its directory", path)
    cur = os.dup(dirfd)
    try:
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            nxt = os.open(name, (flags if last else os.O_PATH | os.O_DIRECTORY) | os.O_NOFOLLOW | os.O_CLOEXEC,
                          mode, dir_fd=cur)
            os.close(cur)
            cur = nxt
        if not parts:
            nxt = os.open(".", flags | os.O_CLOEXEC, dir_fd=cur)
            os.close(cur)
            cur = nxt
        return cur
    except BaseException:
        os.close(cur)
        raise


def open_inside(dirfd: int, path: str, flags: int) -> int:
    """Open ``path`` below ``dirfd``; symbolic links may be followed while they stay below it."""
    fd = _openat2(dirfd, path or ".", flags, 0, RESOLVE_BENEATH)
    if fd is not None:
        return fd
    return _walk(dirfd, path, flags, clamp=False)


def open_in_root(rootfd: int, path: str, flags: int, mode: int = 0o600) -> int:
    """Open ``path`` as a process chrooted to ``rootfd`` would (links resolved inside the tree)."""
    fd = _openat2(rootfd, path or ".", flags, mode, RESOLVE_IN_ROOT)
    if fd is not None:
        return fd
    return _walk(rootfd, path, flags, clamp=True, mode=mode)


def _walk(rootfd: int, path: str, flags: int, *, clamp: bool, mode: int = 0o600) -> int:
    """openat2's RESOLVE_IN_ROOT (``clamp``) or RESOLVE_BENEATH, by hand: one component at a time
    with O_NOFOLLOW, links read and resolved against the stack of directories walked so far."""
    stack = [os.dup(rootfd)]
    pending = _parts(path)
    hops = 0
    try:
        while pending:
            name = pending.pop(0)
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                elif not clamp:
                    raise OSError(errno.EXDEV, "the path leaves its directory", path)
                continue
            last = not pending
            try:
                st = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
            except FileNotFoundError:
                if last and flags & os.O_CREAT:
                    return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=stack[-1])
                raise
            if stat.S_ISLNK(st.st_mode) and not (last and flags & os.O_NOFOLLOW):
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
                target = os.readlink(name, dir_fd=stack[-1])
                if target.startswith("/"):
                    if not clamp:
                        raise OSError(errno.EXDEV, "an absolute symbolic link leaves the directory", path)
                    while len(stack) > 1:
                        os.close(stack.pop())
                pending = _parts(target) + pending
                continue
            if last:
                return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=stack[-1])
            stack.append(os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=stack[-1]))
        return os.open(".", flags | os.O_CLOEXEC, dir_fd=stack[-1])
    finally:
        for fd in stack:
            os.close(fd)


def mkdirs_in_root(rootfd: int, path: str, *, replace: bool = False, mode: int = 0o755, _hops: int = 0) -> int:
    """An O_PATH fd of directory ``path`` in the tree (the image's view), making what is missing.

    An entry on the way that is not a directory is removed first with ``replace`` (a layer may
    turn a file into a directory), else FileExistsError; a link to a missing directory has its
    target made (in the tree), as ``mkdir -p`` in a chroot would. Directories are made one
    component at a time from the fd of their parent, so none can be made outside the tree.
    """
    parts = _parts(path)
    if ".." in parts:
        raise OSError(errno.EINVAL, "not a clean path", path)
    cur = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=rootfd)
    try:
        for i, name in enumerate(parts):
            try:
                nxt = open_in_root(rootfd, "/".join(parts[: i + 1]), os.O_PATH | os.O_DIRECTORY)
            except (FileNotFoundError, NotADirectoryError) as e:
                st = lstat_at(cur, name)
                if st is not None and stat.S_ISLNK(st.st_mode) and not replace and isinstance(e, FileNotFoundError):
                    if _hops >= MAX_SYMLINKS:
                        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path) from e
                    target = os.readlink(name, dir_fd=cur)
                    base = [] if target.startswith("/") else parts[:i]
                    os.close(cur)
                    cur = -1
                    return mkdirs_in_root(rootfd, _in_root("/".join([*base, target, *parts[i + 1:]])),
                                          mode=mode, _hops=_hops + 1)
                if st is not None:
                    if not replace:
                        raise FileExistsError(errno.EEXIST, "exists in the image and is not a directory",
                                              "/" + "/".join(parts[: i + 1])) from e
                    remove_at(cur, name)
                os.mkdir(name, mode, dir_fd=cur)
                nxt = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=cur)
            os.close(cur)
            cur = nxt
        return cur
    except BaseException:
        if cur >= 0:
            os.close(cur)
        raise


def _in_root(path: str) -> str:
    """``path`` with ``..`` applied lexically and stopped at the top, as at the root of a tree."""
    out: list[str] = []
    for p in _parts(path):
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return "/".join(out)


def remove_at(dirfd: int, name: str) -> None:
    """Remove entry ``name`` of directory ``dirfd`` (a directory with everything in it), by fd."""
    try:
        st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        _remove_dir_at(dirfd, name)
    else:
        os.unlink(name, dir_fd=dirfd)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _remove_dir_at(dirfd: int, name: str) -> None:
    """Remove directory ``name`` of ``dirfd`` with everything in it, by fd and without recursion:
    RUN can nest directories deeper than Python's stack (shutil.rmtree fails there, and a build's
    leftovers would then break every later build). One directory fd is open at a time; climbing
    back goes through "..", which is safe here: nothing else changes the tree while it is removed."""
    names = [name]
    cur = os.open(name, _DIR_FLAGS, dir_fd=dirfd)
    try:
        while names:
            sub = None
            with os.scandir(cur) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        sub = e.name
                        break
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(e.name, dir_fd=cur)
            if sub is not None:
                nxt = os.open(sub, _DIR_FLAGS, dir_fd=cur)
                os.close(cur)
                cur = nxt
                names.append(sub)
                continue
            done = names.pop()
            if not names:
                break
            parent = os.open("..", _DIR_FLAGS, dir_fd=cur)
            os.close(cur)
            cur = parent
            os.rmdir(done, dir_fd=cur)
    finally:
        os.close(cur)
    os.rmdir(name, dir_fd=dirfd)


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Remove ``path`` and everything under it if it can (a work directory: errors are ignored)."""
    p = os.fspath(path)
    try:
        parent = os.open(os.path.dirname(p) or ".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        remove_at(parent, os.path.basename(p))
    except OSError:
        pass
    finally:
        os.close(parent)


def lstat_at(dirfd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except FileNotFoundError:
        return None


# -- configuration directories (plan and validate on untrusted pull requests) ---------------------


class OutsideDirectory(OSError):
    """A file of the configuration that is, or goes through, a symbolic link out of its directory
    (or is no regular file): refused without being read."""


def read_inside(directory: str | os.PathLike[str], rel: str) -> bytes:
    """The bytes of regular file ``rel`` of ``directory``, opened below it: a symbolic link may
    lead elsewhere inside the directory, never out of it (a committed ``main.imgb.hcl ->
    /root/.aws/credentials`` is refused, not read). A pipe or device is refused too (O_NONBLOCK:
    the open never waits for a writer)."""
    top = os.open(directory, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fd = open_inside(top, rel, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno in (errno.EXDEV, errno.ELOOP):
                raise OutsideDirectory(e.errno, "it is a symbolic link, or goes through one, that leads out of "
                                       "the configuration directory", rel) from None
            raise
    finally:
        os.close(top)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutsideDirectory(errno.EINVAL, "it is not a regular file", rel)
        return read_fd(fd)
    finally:
        os.close(fd)


def read_fd(fd: int) -> bytes:
    """Everything left to read from ``fd`` (a file opened with the checks above)."""
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def write_inside(directory: str | os.PathLike[str], rel: str, data: bytes) -> None:
    """Replace the contents of regular file ``rel`` of ``directory``, opened below it as
    ``read_inside`` opens it (never through a link out of the directory)."""
    top = os.open(directory, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = open_inside(top, rel, os.O_WRONLY | os.O_NONBLOCK)
    finally:
        os.close(top)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutsideDirectory(errno.EINVAL, "it is not a regular file", rel)
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


ALLOW_PATHS_ENV = "IMGB_ALLOW_PATHS"
ALLOW_NETWORK_ENV = "IMGB_ALLOW_NETWORK"


def network_allowed(env: dict[str, str] | None = None) -> bool:
    """Has the operator let builds reach the network (IMGB_ALLOW_NETWORK=1, or -allow-network)?"""
    return (os.environ if env is None else env).get(ALLOW_NETWORK_ENV, "") in ("1", "true", "yes")


def allowed_outside(path: str | os.PathLike[str], directory: str | os.PathLike[str],
                    env: dict[str, str] | None = None) -> bool:
    """May ``path`` (a state file, a store) be used by the configuration in ``directory``?

    Inside the directory, yes. Outside, only below a directory the operator listed in
    IMGB_ALLOW_PATHS (colon-separated) or with ``-allow-path``: a configuration from a pull
    request must not choose another project's state or store.
    """
    real = os.path.realpath(path)
    for base in [directory, *_allowed(env)]:
        top = os.path.realpath(base)
        if real == top or real.startswith(top.rstrip("/") + "/"):
            return True
    return False


def _allowed(env: dict[str, str] | None) -> list[str]:
    raw = (os.environ if env is None else env).get(ALLOW_PATHS_ENV, "")
    return [p for p in raw.split(":") if p.strip()]
