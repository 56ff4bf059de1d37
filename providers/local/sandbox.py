"""Run one command inside an image's root directory, isolated with Linux namespaces.

Standard library only: the host side (``run``) starts this file as a fresh interpreter
(``python -I -S sandbox.py``) and sends it a JSON spec on stdin. A fresh, single-threaded
process is needed because ``unshare(CLONE_NEWUSER)`` fails with EINVAL in a threaded process,
and imgb's apply engine calls providers from threads.

Inside the helper (process P):

* P forks C; C unshares user, mount, pid, uts, ipc and (unless the network is wanted) net
  namespaces; P, still in the parent user namespace, writes C's uid/gid maps (``fork_mapped``):
  the identity map over P's own ids as root, else the caller's uid as 0 and its /etc/subuid
  range as 1..65535 through newuidmap/newgidmap. There is no single-uid fallback: it would
  silently turn every owner of the image into root. When no namespace can be made or mapped, the
  error lists what was tried and how to fix each (``isolation_report``).
* C forks G, pid 1 of the new pid namespace. G bind-mounts the root onto itself, mounts a fresh
  /proc (a bind of the host's with a warning when the kernel refuses), a minimal /dev (tmpfs plus
  binds of null zero full random urandom tty), binds resolv.conf read-only when networking, then
  ``pivot_root`` and detaches the old root, so the host's tree is unreachable (plain chroot is
  escapable). USER is resolved from the image's own /etc/passwd after pivot_root. G drops the
  capability bounding set to Docker's defaults, lowers resource limits (no core dumps, capped
  open files and processes: a fork bomb stops at the cap), sets no_new_privs and umask 022, and
  execs the command.
* Parent-death signals chain P → C → G, and G is pid 1: killing P on a timeout kills every
  process of the sandbox.

Setup failures exit 125 and are reported as JSON lines on a status pipe, separate from the
command's own output.
"""

from __future__ import annotations

import binascii
import ctypes
import errno
import fcntl
import json
import os
import resource
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
KEYCTL_JOIN_SESSION_KEYRING = 1
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219, "ppc64le": 271, "s390x": 280}
# Syscalls added after 5.0 have one number on every architecture.
SYS_OPEN_TREE = 428
SYS_MOVE_MOUNT = 429
SYS_OPENAT2 = 437
SYS_MOUNT_SETATTR = 442
OPEN_TREE_CLONE = 1
AT_EMPTY_PATH = 0x1000
MOVE_MOUNT_F_EMPTY_PATH = 4
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_IDMAP = 0x00100000
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
# Docker's default capability set: chown dac_override fowner fsetid kill setgid setuid setpcap
# net_bind_service net_raw sys_chroot mknod audit_write setfcap.
KEEP_CAPS = frozenset({0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31})
SETUP_FAILED = 125
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
# As runc and bubblewrap: parts of /proc that reach the host kernel are read-only or masked.
PROC_READONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
PROC_MASKED = ("kcore", "keys", "timer_list", "timer_stats", "sched_debug", "latency_stats", "acpi", "scsi",
               "asound")
# The ids RUN steps get when imgb runs as host root and /etc/subuid and /etc/subgid give root no
# range of its own: 65536 ids no account uses (above what useradd hands out as subordinate ids,
# below 2^31), so the image's root is never the host's.
ROOT_SUBID_START = 0x70000000
SUBIDS = 65536
# Caps (soft, hard) on RUN processes' resource limits; a lower current limit is kept. No core
# dumps into the image; enough files and processes for package managers and parallel builds.
DEFAULT_RLIMITS: dict[str, tuple[int, int]] = {"CORE": (0, 0), "NOFILE": (65536, 65536), "NPROC": (4096, 4096)}
# What the operator may change (environment variables of the imgb process, never the
# configuration): name -> (default, what it limits).
LIMITS = {
    "IMGB_BUILD_MEMORY": ("1g", "memory each RUN process may write to (RLIMIT_DATA; RLIMIT_AS is 4 times it)"),
    "IMGB_BUILD_PIDS": ("4096", "processes a RUN step may run at once (RLIMIT_NPROC)"),
    "IMGB_BUILD_FILE_SIZE": ("16g", "the largest file a RUN step may write (RLIMIT_FSIZE)"),
    "IMGB_BUILD_MIN_FREE": ("1g", "free space a build leaves on the store's disk (a step that goes below it stops)"),
    "IMGB_BUILD_MIN_FREE_INODES": ("64k", "free inodes a build leaves on the store's file system (a step that goes "
                                   "below it stops)"),
}

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def _check(ret: int, what: str) -> None:
    if ret != 0:
        e = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(e)} (errno {errno.errorcode.get(e, e)})")


def _mount(src: str | None, tgt: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(
            src.encode() if src else None,
            tgt.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {src or fstype} on {tgt}",
    )


def _status(fd: int, **msg: Any) -> None:
    try:
        os.write(fd, (json.dumps(msg) + "\n").encode())
    except OSError:
        pass


# -- user namespaces and id maps ------------------------------------------------------------------


def _sysctl(name: str) -> str | None:
    try:
        with open(f"/proc/sys/{name}") as f:
            return f.read().strip()
    except OSError:
        return None


def _who() -> tuple[int, str]:
    uid = os.geteuid()
    try:
        import pwd

        return uid, pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return uid, str(uid)


def _subid_range(path: str, user: str, uid: int) -> tuple[int, int] | None:
    try:
        with open(path) as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[0] in (user, str(uid)) and parts[1].isdigit() and parts[2].isdigit():
                    return int(parts[1]), int(parts[2])
    except OSError:
        return None
    return None


def _userns_fixes(uid: int) -> list[str]:
    """How to allow user namespaces here: the sysctls that forbid them, else the usual causes."""
    fixes = []
    if _sysctl("user/max_user_namespaces") == "0":
        fixes.append("user.max_user_namespaces is 0: `sysctl -w user.max_user_namespaces=15000` "
                     "(and persist it in /etc/sysctl.d/)")
    if uid != 0 and _sysctl("kernel/unprivileged_userns_clone") == "0":
        fixes.append("kernel.unprivileged_userns_clone is 0: `sysctl -w kernel.unprivileged_userns_clone=1`")
    if uid != 0 and _sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1":
        fixes.append("kernel.apparmor_restrict_unprivileged_userns is 1: "
                     "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or an AppArmor profile "
                     "that allows user namespaces for this Python")
    if not fixes:
        fixes = ["if user.max_user_namespaces is 0, `sysctl -w user.max_user_namespaces=15000`",
                 "on Debian 10 or older, `sysctl -w kernel.unprivileged_userns_clone=1`",
                 "on Ubuntu 23.10 or newer, `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`",
                 "inside a container, run it with --privileged (or --security-opt seccomp=unconfined "
                 "--security-opt apparmor=unconfined)"]
    return fixes


def isolation_report(unshare_error: str | None, map_error: str | None = None) -> str:
    """Why build steps cannot be isolated here: each thing tried, its result, and how to fix it.

    Lines after the first are indented to sit under a diagnostic's bullet.
    """
    uid, user = _who()
    lines = [
        "No isolation is available for build steps, so the build cannot run: imgb runs RUN steps in "
        "Linux namespaces and has no weaker fallback (plain chroot is escapable).",
        f"Tried, as {'root' if uid == 0 else f'uid {uid}' if user == str(uid) else f'user {user} (uid {uid})'}:",
    ]
    if unshare_error is None:
        lines.append("- a new user namespace: ok.")
    else:
        lines.append(f"- a new user namespace: {unshare_error}.")
        lines += [f"  Fix: {fix}." for fix in _userns_fixes(uid)]
    if uid != 0:
        sub_u, sub_g = _subid_range("/etc/subuid", user, uid), _subid_range("/etc/subgid", user, uid)
        if sub_u and sub_g:
            lines.append(f"- subordinate ids for {user}: {sub_u[0]}+{sub_u[1]} in /etc/subuid and "
                         f"{sub_g[0]}+{sub_g[1]} in /etc/subgid: ok.")
        else:
            missing = " and ".join(p for p, r in (("/etc/subuid", sub_u), ("/etc/subgid", sub_g)) if not r)
            lines.append(f"- subordinate ids for {user}: none in {missing}, so the image's users other than "
                         "root cannot be mapped.")
            lines.append(f"  Fix: `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {user}` as root."
                         if user != str(uid) else
                         f"  Fix: add the line `{uid}:100000:65536` to /etc/subuid and /etc/subgid as root.")
        nu, ng = shutil.which("newuidmap"), shutil.which("newgidmap")
        if not (nu and ng):
            lines.append("- newuidmap and newgidmap (they map subordinate ids): not found in PATH.")
            lines.append("  Fix: `apt-get install uidmap` (Debian, Ubuntu) or `dnf install shadow-utils` (Fedora).")
        elif map_error:
            lines.append(f"- mapping the ids with {nu} and {ng}: {map_error}.")
            lines.append("  Fix: both must be setuid root (`chmod u+s` them), and the ranges above this user's.")
        else:
            lines.append(f"- newuidmap and newgidmap: {nu} and {ng}: ok.")
        lines.append("Or run imgb as root, which needs no subordinate ids and no newuidmap.")
    return "\n    ".join(lines)


def _own_ranges(kind: str) -> list[tuple[int, int, int]]:
    """(first id inside, first id outside, count) of each range of this process's user namespace."""
    out = []
    with open(f"/proc/self/{kind}_map") as f:
        for line in f:
            inside, outside, count = (int(x) for x in line.split())
            out.append((inside, outside, count))
    return out


def host_root_reachable() -> bool:
    """Whether this process's uid 0 is the host's root, as far as can be seen from here.

    True on the host, and in a user namespace that maps its root to its parent's root (that
    parent may be the host). A sandbox made from here must then shift its ids: identity-mapped,
    the image's root would be the host's, and could write /proc/sys/kernel/core_pattern.
    """
    if os.geteuid() != 0:
        return False
    return any(inside == 0 and outside == 0 for inside, outside, _ in _own_ranges("uid"))


def root_subids() -> tuple[int, int]:
    """(first uid, first gid) of the 65536 host ids a root-run sandbox's ids 0..65535 become.

    The range of user ``root`` in /etc/subuid and /etc/subgid when the operator gave it one,
    else ROOT_SUBID_START (ids no account and no default subordinate range uses).
    """
    su, sg = _subid_range("/etc/subuid", "root", 0), _subid_range("/etc/subgid", "root", 0)
    if su and sg and su[1] >= SUBIDS and sg[1] >= SUBIDS and su[0] > 0 and sg[0] > 0:
        return su[0], sg[0]
    return ROOT_SUBID_START, ROOT_SUBID_START


def _covers(ranges: list[tuple[int, int, int]], first: int, count: int) -> bool:
    return any(inside <= first and first + count <= inside + n for inside, _, n in ranges)


def _write_maps(pid: int, shift: tuple[int, int] | None) -> None:
    """Write the uid/gid maps of ``pid`` (in a new user namespace) from this, its parent namespace.

    ``shift``: as (host) root, the new namespace's ids 0..65535 become this 65536-id range, so
    no process inside is ever the host's root. Otherwise, as root of a user namespace that is
    not the host's root (the rootless build worker), the identity over this namespace's ids;
    as anyone else, the caller's uid as 0 and its /etc/subuid range as 1..65535.
    """
    uid, user = _who()
    if uid == 0:
        try:
            for kind, first in (("uid", shift[0] if shift else None), ("gid", shift[1] if shift else None)):
                own = _own_ranges(kind)
                if first is None:
                    text = "".join(f"{inside} {inside} {n}\n" for inside, _, n in own)
                elif _covers(own, first, SUBIDS):
                    text = f"0 {first} {SUBIDS}\n"
                else:
                    raise SetupError(
                        f"RUN steps run as {kind}s {first}..{first + SUBIDS - 1} when imgb runs as root, and this "
                        f"user namespace does not map them. Give root a range of 65536 ids in /etc/sub{kind} "
                        f"(such as `root:{ROOT_SUBID_START}:{SUBIDS}`) that this namespace maps, or run imgb as an "
                        "ordinary user.")
                with open(f"/proc/{pid}/{kind}_map", "w") as f:
                    f.write(text)
        except OSError as e:
            raise SetupError(isolation_report(f"writing its id map failed: {e.strerror}")) from e
        return
    sub_u, sub_g = _subid_range("/etc/subuid", user, uid), _subid_range("/etc/subgid", user, uid)
    nu, ng = shutil.which("newuidmap"), shutil.which("newgidmap")
    if not (sub_u and sub_g and nu and ng):
        raise SetupError(isolation_report(None))
    # Our uid becomes 0 and 65535 subordinate ids become 1..65535, like rootless podman.
    ru = subprocess.run([nu, str(pid), "0", str(uid), "1", "1", str(sub_u[0]), str(min(sub_u[1], 65535))],
                        capture_output=True, text=True)
    rg = subprocess.run([ng, str(pid), "0", str(os.getegid()), "1", "1", str(sub_g[0]), str(min(sub_g[1], 65535))],
                        capture_output=True, text=True)
    if ru.returncode != 0 or rg.returncode != 0:
        raise SetupError(isolation_report(None, (ru.stderr or rg.stderr).strip() or "it failed"))


def fork_mapped(flags: int, shift: tuple[int, int] | None = None) -> int:
    """Fork a child that unshares ``flags`` (CLONE_NEWUSER among them); map its ids from here
    (``shift``: see ``_write_maps``).

    Returns 0 in the child once it is mapped (root of the new user namespace), and the child's
    pid in the parent. When the namespace cannot be made or mapped, raises SetupError in the
    parent, listing what was tried and how to fix each; the child is gone by then. The caller
    must be single-threaded: unshare(CLONE_NEWUSER) fails in a threaded process.
    """
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(SETUP_FAILED)
        if _libc.unshare(flags) != 0:
            os.write(ready_w, str(ctypes.get_errno()).encode())
            os._exit(SETUP_FAILED)
        os.write(ready_w, b"u")
        os.close(ready_w)
        mapped = os.read(go_r, 2) == b"ok"
        os.close(go_r)
        if not mapped:
            os._exit(SETUP_FAILED)
        return 0
    os.close(ready_w)
    os.close(go_r)
    try:
        got = os.read(ready_r, 16)
        if got != b"u":
            e = int(got) if got.isdigit() else 0
            why = (f"unshare failed with {os.strerror(e)} ({errno.errorcode.get(e, e)})" if e
                   else "the namespace's first process exited early")
            raise SetupError(isolation_report(why))
        _write_maps(pid, shift)
        os.write(go_w, b"ok")
    except BaseException:
        os.close(go_w)  # end-of-file: the child exits
        _wait_code(pid)
        raise
    finally:
        os.close(ready_r)
    os.close(go_w)
    return pid


def _lower(current: int, cap: int) -> int:
    if cap == resource.RLIM_INFINITY:
        return current
    return cap if current == resource.RLIM_INFINITY or current > cap else current


def _set_rlimits(limits: dict[str, list[int]]) -> None:
    for name, (soft, hard) in sorted(limits.items()):
        which = getattr(resource, f"RLIMIT_{name}")
        cur_soft, cur_hard = resource.getrlimit(which)
        new_hard = _lower(cur_hard, hard)
        new_soft = _lower(_lower(cur_soft, soft), new_hard)
        try:
            resource.setrlimit(which, (new_soft, new_hard))
        except (OSError, ValueError) as e:
            raise SetupError(f"setting RLIMIT_{name} to {new_soft}/{new_hard}: {e}") from e


# -- the helper process (runs as __main__) ------------------------------------------------------


def _lo_up() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s.fileno(), 0x8913, req))[1]
        fcntl.ioctl(s.fileno(), 0x8914, struct.pack("16sH22x", b"lo", flags | 1))
    finally:
        s.close()


def _setup_dev(devfd: int) -> None:
    """Fill the fresh /dev tmpfs (``devfd``): the host's harmless nodes bound in, a private devpts."""
    here = f"/proc/self/fd/{devfd}"
    for name in DEV_NODES:
        if not os.path.exists(f"/dev/{name}"):
            continue
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666, dir_fd=devfd))
        try:
            _mount(f"/dev/{name}", f"{here}/{name}", None, MS_BIND)
        except SetupError:
            os.unlink(name, dir_fd=devfd)
    os.mkdir("pts", 0o755, dir_fd=devfd)
    try:
        _mount("devpts", f"{here}/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
        os.symlink("pts/ptmx", "ptmx", dir_fd=devfd)
    except SetupError:
        pass
    os.mkdir("shm", 0o1777, dir_fd=devfd)
    os.chmod("shm", 0o1777, dir_fd=devfd)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, name, dir_fd=devfd)


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def _open_beneath(dirfd: int, rel: str, flags: int) -> int:
    """Open ``rel`` under directory ``dirfd`` following no symlink and never leaving it
    (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; an O_NOFOLLOW walk where the kernel lacks it)."""
    how = _OpenHow(flags | os.O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
    fd = _libc.syscall(SYS_OPENAT2, dirfd, rel.encode(), ctypes.byref(how), ctypes.sizeof(how))
    if fd >= 0:
        return int(fd)
    e = ctypes.get_errno()
    if e != errno.ENOSYS:
        raise OSError(e, os.strerror(e), rel)
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise OSError(errno.EXDEV, "path leaves its directory", rel)
    cur = os.dup(dirfd)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = os.open(part, (flags if last else os.O_PATH | os.O_DIRECTORY) | os.O_NOFOLLOW | os.O_CLOEXEC,
                          dir_fd=cur)
            os.close(cur)
            cur = nxt
        return cur
    except BaseException:
        os.close(cur)
        raise


def _dir_beneath(rootfd: int, rel: str) -> str | None:
    """A mount target for directory ``rel`` of the tree (a /proc/self/fd path), or None when it is
    missing or not a real directory (a symlink in a hostile image, say)."""
    try:
        fd = _open_beneath(rootfd, rel, os.O_PATH | os.O_DIRECTORY)
    except OSError:
        return None
    os.set_inheritable(fd, False)
    return f"/proc/self/fd/{fd}"


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


def _detached_tree(root: str, attrs: int, userns_fd: int = 0) -> int:
    """A detached copy of the mount at ``root`` with ``attrs`` set (MOUNT_ATTR_*); its fd."""
    fd = _libc.syscall(SYS_OPEN_TREE, -100, root.encode(), OPEN_TREE_CLONE | os.O_CLOEXEC)
    if fd < 0:
        e = ctypes.get_errno()
        raise SetupError(f"open_tree {root}: {os.strerror(e)} (errno {errno.errorcode.get(e, e)})")
    attr = _MountAttr(attrs, 0, 0, userns_fd)
    if _libc.syscall(SYS_MOUNT_SETATTR, fd, b"", AT_EMPTY_PATH, ctypes.byref(attr), ctypes.sizeof(attr)) != 0:
        e = ctypes.get_errno()
        os.close(fd)
        raise OSError(e, os.strerror(e))
    return int(fd)


def _idmapped_tree(root: str, pid: int) -> int:
    """The build tree mounted with the ids of ``pid``'s user namespace (host root, shift mode):
    the image's owners 0..65535 on disk are its ids 0..65535 inside, though the sandbox runs as
    the shifted range on the host. nodev: no device node in the tree can be opened."""
    userns = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    try:
        return _detached_tree(root, MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV, userns)
    except OSError as e:
        fs = _fs_type(root)
        raise SetupError(
            f"mounting the build tree with shifted ids failed: {e.strerror} (errno {errno.errorcode.get(e.errno or 0)}). "
            f"As root, RUN steps run as subordinate ids, never as the host's root, which needs an id-mapped mount "
            f"(Linux 5.12 or later) of the store's file system ({fs} here; ext4, xfs and btrfs support it, tmpfs "
            "since 6.3, overlayfs since 5.19). Put the store on such a file system (IMGB_HOME, or the provider's "
            "root), or run imgb as an ordinary user (rootless builds).") from e
    finally:
        os.close(userns)


def _fs_type(path: str) -> str:
    best, fstype = "", "unknown"
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 2 and (path == parts[1] or path.startswith(parts[1].rstrip("/") + "/")) \
                        and len(parts[1]) >= len(best):
                    best, fstype = parts[1], parts[2]
    except OSError:
        pass
    return fstype


def _protect_proc(proc: str) -> None:
    """Make the parts of /proc that reach the host kernel read-only, and mask the ones that
    leak it (runc's defaults). Also forbid user namespaces below this one (a nested namespace
    would regain every capability), on top of the seccomp filter."""
    try:
        with open(os.path.join(proc, "sys/user/max_user_namespaces"), "w") as f:
            f.write("0")
    except OSError:
        pass
    for name in PROC_READONLY:
        path = os.path.join(proc, name)
        if not os.path.lexists(path):
            continue
        _mount(path, path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_MASKED:
        path = os.path.join(proc, name)
        if os.path.isdir(path) and not os.path.islink(path):
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
        elif os.path.lexists(path):
            _mount("/dev/null", path, None, MS_BIND)


def _lookup_user(user: str) -> tuple[int, int, list[int], str]:
    """uid, gid, supplementary groups and home for USER, from the image's own files."""
    name, _, group = user.partition(":")
    uid = gid = None
    home = "/"
    login = None
    try:
        with open("/etc/passwd") as f:
            for line in f:
                p = line.rstrip("\n").split(":")
                if len(p) >= 7 and (p[0] == name or p[2] == name):
                    uid, gid, home, login = int(p[2]), int(p[3]), p[5] or "/", p[0]
                    break
    except OSError:
        pass
    if uid is None and name == "root":
        uid, gid, home = 0, 0, "/root"  # as in Docker: root needs no /etc/passwd entry
    if uid is None:
        if not name.isdigit():
            raise SetupError(f'USER "{name}": no such user in the image\'s /etc/passwd')
        uid, gid = int(name), int(name)
    groups: list[int] = []
    try:
        with open("/etc/group") as f:
            for line in f:
                p = line.rstrip("\n").split(":")
                if len(p) < 4:
                    continue
                if group and (p[0] == group or p[2] == group):
                    gid = int(p[2])
                if login and login in p[3].split(","):
                    groups.append(int(p[2]))
    except OSError:
        pass
    if group and group.isdigit():
        gid = int(group)
    elif group and gid is None:
        raise SetupError(f'USER "{user}": no such group in the image\'s /etc/group')
    assert gid is not None
    return uid, gid, sorted({gid, *groups}), home


def _mount_tree(root: str, tree_fd: int | None) -> None:
    """Mount the build tree on itself (nodev): the id-mapped copy made outside (shift mode), else a
    plain bind."""
    if tree_fd is None:
        try:
            tree_fd = _detached_tree(root, MOUNT_ATTR_NODEV)
        except OSError as e:
            if e.errno != errno.ENOSYS:
                raise SetupError(f"mount the build tree nodev: {e.strerror}") from e
            # Before Linux 5.12: a bind, remounted nodev keeping the flags the kernel locks.
            _mount(root, root, None, MS_BIND | MS_REC)
            st = os.statvfs(root).f_flag
            keep = sum(f for f in (MS_RDONLY, MS_NOSUID, MS_NOEXEC, 1024, 2048) if st & f)
            _mount(None, root, None, MS_BIND | MS_REMOUNT | MS_NODEV | keep)
            return
    _check(_libc.syscall(SYS_MOVE_MOUNT, tree_fd, b"", -100, root.encode(), MOVE_MOUNT_F_EMPTY_PATH),
           "mount the build tree")
    os.close(tree_fd)


def _pid1(spec: dict[str, Any], status_fd: int, tree_fd: int | None) -> None:
    root = os.path.abspath(spec["root"])
    # A user namespace made inside one whose setgroups is denied cannot set groups either.
    try:
        with open("/proc/self/setgroups") as f:
            may_set_groups = f.read().strip() == "allow"
    except OSError:
        may_set_groups = True
    # Until the switch to the namespace's root below, this process keeps the ids it was started
    # with: as the host's root, it may walk the store's private directories to the tree (its
    # shifted root could not). Everything after goes through file descriptors.
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount_tree(root, tree_fd)
    # Mount points inside the tree are opened beneath it without following symlinks: a hostile
    # image's /proc -> /somewhere must not move a mount onto a host directory.
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    proc = _dir_beneath(rootfd, "proc")
    if proc is not None:
        try:
            _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except SetupError as e:
            _status(status_fd, warning=f"a fresh /proc could not be mounted ({e}); binding the host's /proc instead")
            _mount("/proc", proc, None, MS_BIND | MS_REC)
        _protect_proc(os.path.join(root, "proc"))
    dev = _dir_beneath(rootfd, "dev")
    devfd = None
    if dev is not None:
        _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k,uid=0,gid=0")
        # Opened again by name: the fd above still names the directory under the new tmpfs.
        devfd = _open_beneath(rootfd, "dev", os.O_PATH | os.O_DIRECTORY)
    if spec.get("network"):
        try:
            fd = _open_beneath(rootfd, "etc/resolv.conf", os.O_PATH)
        except OSError:
            fd = -1
        if fd >= 0 and spec.get("resolv") and stat.S_ISREG(os.fstat(fd).st_mode):
            _mount(spec["resolv"], f"/proc/self/fd/{fd}", None, MS_BIND)
            os.close(fd)
            fd = _open_beneath(rootfd, "etc/resolv.conf", os.O_PATH)  # the bind mount now
            _mount(None, f"/proc/self/fd/{fd}", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        if fd >= 0:
            os.close(fd)
    _lo_up()
    # The namespace's root from here: files made in /dev (and by the command) get its ids.
    if may_set_groups:
        os.setgroups([])
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    if devfd is not None:
        _setup_dev(devfd)
        os.close(devfd)
    os.fchdir(rootfd)
    os.close(rootfd)
    hostname = spec.get("hostname", "imgb").encode()
    _check(_libc.sethostname(hostname, len(hostname)), "sethostname")
    nr = PIVOT_ROOT.get(os.uname().machine)
    if nr is None:
        raise SetupError(f"pivot_root: unsupported architecture {os.uname().machine}")
    _check(_libc.syscall(nr, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    if spec.get("probe"):
        os._exit(0)
    uid, gid, groups, home = _lookup_user(spec.get("user") or "root")
    # A keyring of its own: the one imgb was started with (and its keys) stays out of reach.
    keyctl = SYS_KEYCTL.get(os.uname().machine)
    if keyctl is not None:
        _check(0 if _libc.syscall(keyctl, KEYCTL_JOIN_SESSION_KEYRING, None) >= 0 else -1, "a new session keyring")
    for cap in range(64):
        if cap not in KEEP_CAPS and _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    _set_rlimits(spec.get("rlimits") or {})
    if may_set_groups:
        os.setgroups(groups)
    try:
        os.setgid(gid)
        os.setuid(uid)
    except OSError as e:
        hint = " (builds map ids 0 to 65535 only)" if e.errno == errno.EINVAL else ""
        raise SetupError(f"switching to USER {spec.get('user')} (uid {uid}, gid {gid}): {e.strerror}{hint}") from e
    os.umask(0o022)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    env = dict(spec.get("env", {}))
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env.setdefault("HOME", home)
    env.setdefault("HOSTNAME", hostname.decode())
    workdir = spec.get("workdir") or "/"
    try:
        os.chdir(workdir)
    except OSError as e:
        raise SetupError(f"WORKDIR {workdir}: {e.strerror}") from e
    # Credential changes cleared the parent-death signal; set it again now, then check the race.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.set_inheritable(status_fd, False)
    argv = list(spec["argv"])
    # Python ignores SIGPIPE and SIGXFSZ, and ignored signals survive exec: `yes | head` would
    # never end. Commands get the defaults they would get from a shell.
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    _load_seccomp(spec.get("seccomp"))
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as e:
        raise SetupError(f"exec {argv[0]}: {e.strerror}") from e


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _load_seccomp(program: str | None) -> None:
    """Install the seccomp filter compiled on the host side (a BPF program, base64): the last
    step before exec, since it also binds this process."""
    if not program:
        raise SetupError("no seccomp filter was given; refusing to run a command without one")
    code = binascii.a2b_base64(program)
    n = len(code) // 8
    insns = (_SockFilter * n).from_buffer_copy(code)
    prog = _SockFprog(n, ctypes.cast(insns, ctypes.POINTER(_SockFilter)))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "install the seccomp filter")


def _child(spec: dict[str, Any], status_fd: int, tree_fd: int | None) -> int:
    """C: root of the new namespaces, already mapped; forks G (pid 1) and waits for it."""
    # G cannot see C's pid (it is outside G's pid namespace): C holds the write end of this
    # pipe, so end-of-file tells G that C is gone.
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(alive_w)
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if select.select([alive_r], [], [], 0)[0]:
                os._exit(SETUP_FAILED)
            os.close(alive_r)
            _pid1(spec, status_fd, tree_fd)
        except SetupError as e:
            _status(status_fd, error=f"setting up the build sandbox failed: {e}")
        except BaseException as e:  # any failure before exec must not run the host's Python on
            _status(status_fd, error=f"setting up the build sandbox failed: {e!r}")
        os._exit(SETUP_FAILED)
    os.close(alive_r)
    if tree_fd is not None:
        os.close(tree_fd)
    return _wait_code(pid)


def _wait_code(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def main() -> int:
    # If whoever started us dies (a killed build worker), take the sandbox down with us; the
    # launcher passes its pid so that dying before the prctl is noticed too.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if len(sys.argv) > 1 and os.getppid() != int(sys.argv[1]):
        return SETUP_FAILED
    spec = json.loads(sys.stdin.buffer.read())
    status_fd = int(spec["status_fd"])
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # Always a network namespace of its own: with network access, slirp4netns connects it.
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET
    shift = root_subids() if host_root_reachable() else None
    # What C needs from out here (the id-mapped tree, which only the host's root may make; a
    # connected network) is handed over on this socket before C starts the command.
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        pid = fork_mapped(flags, shift)
    except SetupError as e:
        _status(status_fd, error=str(e))
        return SETUP_FAILED
    if pid == 0:
        ours.close()
        msg, got, _, _ = socket.recv_fds(theirs, 1, 1)
        if msg != b"g" or (shift and not got):
            os._exit(SETUP_FAILED)
        theirs.close()
        os._exit(_child(spec, status_fd, got[0] if got else None))
    theirs.close()
    fds: list[int] = []
    slirp: tuple[subprocess.Popen[bytes], int] | None = None
    try:
        if shift:
            fds.append(_idmapped_tree(os.path.abspath(spec["root"]), pid))
        if spec.get("network"):
            slirp = _start_slirp(pid)
    except SetupError as e:
        _status(status_fd, error=f"setting up the build sandbox failed: {e}")
        ours.close()
        _wait_code(pid)
        return SETUP_FAILED
    socket.send_fds(ours, [b"g"], fds)
    for fd in fds:
        os.close(fd)
    ours.close()
    code = _wait_code(pid)
    if slirp is not None:
        os.close(slirp[1])  # its exit fd: slirp4netns ends
        try:
            slirp[0].wait(timeout=10)
        except subprocess.TimeoutExpired:
            slirp[0].kill()
    return code


SLIRP_DNS = "10.0.2.3"


def _start_slirp(pid: int) -> tuple[subprocess.Popen[bytes], int]:
    """Connect ``pid``'s network namespace to the outside through slirp4netns, a user-space
    network stack (itself sandboxed, inside the build's user namespace): the sandbox gets tap0
    (10.0.2.100, gateway 10.0.2.2, DNS 10.0.2.3) and no route to the host's loopback
    (--disable-host-loopback), nor to its abstract sockets (they belong to another network
    namespace). Returns the process and the fd whose closing ends it."""
    exe = shutil.which("slirp4netns")
    if exe is None:
        raise SetupError("this template has network access, which local builds give through slirp4netns in a "
                         "network namespace of their own, and slirp4netns is not installed. Install it "
                         "(`apt-get install slirp4netns` on Debian and Ubuntu, `dnf install slirp4netns` on Fedora), "
                         "or set internet_max_bandwidth_out = 0.")
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe()
    proc = subprocess.Popen(
        [exe, "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox",
         f"--userns-path=/proc/{pid}/ns/user", f"--ready-fd={ready_w}", f"--exit-fd={exit_r}", str(pid), "tap0"],
        pass_fds=(ready_w, exit_r), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(ready_w)
    os.close(exit_r)
    try:
        ready, _, _ = select.select([ready_r], [], [], 20)
        ok = bool(ready) and os.read(ready_r, 1) == b"1"
    finally:
        os.close(ready_r)
    if not ok:
        os.close(exit_w)
        proc.kill()
        err = proc.communicate()[1].decode(errors="replace").strip().splitlines()
        why = next((line for line in err if "/dev/net/tun" in line), err[-1] if err else "no answer")
        fix = (" /dev/net/tun must be open to this user, as most distributions have it: `chmod 0666 /dev/net/tun` "
               "as root (a udev rule keeps it)." if "/dev/net/tun" in why else "")
        raise SetupError(f"slirp4netns could not connect the build's network: {why}.{fix}")
    return proc, exit_w


# -- the host side ------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """Bytes in "512m", "2g", "1048576" (k, m, g, t: powers of 1024)."""
    t = text.strip().lower().removesuffix("b")
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}.get(t[-1:], 1)
    digits = t[:-1] if mult > 1 else t
    if not digits.isdigit() or int(digits) == 0:
        raise ValueError(f"{text!r} is not a size; write a number of bytes, or one like 512m or 2g")
    return int(digits) * mult


def operator_limit(name: str, env: dict[str, str] | None = None) -> int:
    """The value of operator limit ``name`` (LIMITS) from the environment, else its default."""
    raw = (os.environ if env is None else env).get(name) or LIMITS[name][0]
    try:
        return parse_size(raw)
    except ValueError as e:
        raise SetupError(f"{name}: {e}") from e


def default_rlimits() -> dict[str, tuple[int, int]]:
    """DEFAULT_RLIMITS with the operator's memory, process and file-size limits."""
    memory = operator_limit("IMGB_BUILD_MEMORY")
    pids = operator_limit("IMGB_BUILD_PIDS")
    fsize = operator_limit("IMGB_BUILD_FILE_SIZE")
    return {**DEFAULT_RLIMITS, "NPROC": (pids, pids), "DATA": (memory, memory), "AS": (4 * memory, 4 * memory),
            "FSIZE": (fsize, fsize)}


@dataclass
class RunResult:
    exit_code: int | None
    """The command's exit status (128+signal when killed); None on a timeout."""
    stdout: bytes
    """Its standard output, up to ``keep_stdout`` bytes (``stdout_truncated`` past that)."""
    stderr: bytes
    """The last STDERR_TAIL bytes of its standard error."""
    timed_out: bool = False
    setup_error: str | None = None
    """Why the sandbox could not be created (the command never ran), with how to fix it."""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stdout_truncated: bool = False
    output_bytes: int = 0
    """Everything the command wrote to stdout and stderr, logged or not."""
    killed: str | None = None
    """Why a watchdog stopped the command early (the disk ran low, say), when one did."""


STDERR_TAIL = 64 * 1024
OUTPUT_CAP = 8 * 1024 * 1024
"""Bytes of output passed on per command (the build log); the rest is counted, not kept."""


class _Lines:
    """Splits a stream into lines for ``emit`` until ``budget`` bytes are spent."""

    def __init__(self, name: str, emit: Any, budget: list[int]):
        self.name, self.emit, self.budget, self.partial = name, emit, budget, b""

    def feed(self, data: bytes) -> None:
        if self.emit is None:
            return
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        if len(self.partial) > 64 * 1024:  # one endless line: pass it on in pieces
            lines.append(self.partial)
            self.partial = b""
        for line in lines:
            self._one(line)

    def _one(self, line: bytes) -> None:
        if self.budget[0] <= 0:
            return
        self.budget[0] -= len(line) + 1
        self.emit(self.name, line.decode(errors="replace"))
        if self.budget[0] <= 0:
            self.emit(self.name, f"(output cut here: more than {OUTPUT_CAP} bytes; the rest is not logged)")

    def close(self) -> None:
        if self.partial:
            self._one(self.partial)
            self.partial = b""


def run(
    root: str,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    user: str = "",
    workdir: str = "/",
    network: bool = False,
    timeout: float | None = None,
    on_start: Any = None,
    probe: bool = False,
    rlimits: dict[str, tuple[int, int]] | None = None,
    on_output: Any = None,
    keep_stdout: int = 1024 * 1024,
    watchdog: Any = None,
) -> RunResult:
    """Run ``argv`` inside ``root`` (an image tree), streaming its output.

    Safe to call from any thread. ``on_start`` receives the helper's Popen (to kill it on cancel).
    ``rlimits`` caps resource limits by name ("NPROC": (soft, hard)); ``default_rlimits()`` otherwise.
    ``on_output(stream, line)`` gets each line of output ("stdout" or "stderr") as it comes, up to
    OUTPUT_CAP bytes in all; only ``keep_stdout`` bytes of stdout and the tail of stderr are kept,
    so a command that prints without end costs no memory. ``watchdog()``, called about every
    0.2 s, returns a reason to kill the command (None to go on).
    """
    import tempfile  # host side only: the helper's start-up stays short

    from imgb.providers.local import seccomp

    t0 = time.monotonic()
    try:
        program = "" if probe else seccomp.program()
        limits = default_rlimits() if rlimits is None else rlimits
    except (seccomp.SeccompUnavailable, SetupError) as e:
        return RunResult(None, b"", b"", setup_error=str(e), seconds=time.monotonic() - t0)
    resolv = None
    if network:
        # The sandbox's DNS is slirp4netns's forwarder, whatever the host's resolv.conf names
        # (often 127.0.0.53, out of the sandbox's reach).
        fd, resolv = tempfile.mkstemp(prefix="imgb-resolv-", suffix=".conf")
        os.write(fd, f"nameserver {SLIRP_DNS}\n".encode())
        os.fchmod(fd, 0o644)
        os.close(fd)
    try:
        return _run(root, argv, env, user, workdir, network, timeout, on_start, probe, limits, program, resolv,
                    on_output, keep_stdout, watchdog, t0)
    finally:
        if resolv:
            os.unlink(resolv)


def _run(root: str, argv: list[str], env: dict[str, str] | None, user: str, workdir: str, network: bool,
         timeout: float | None, on_start: Any, probe: bool, limits: dict[str, tuple[int, int]], program: str,
         resolv: str | None, on_output: Any, keep_stdout: int, watchdog: Any, t0: float) -> RunResult:
    status_r, status_w = os.pipe()
    spec = {
        "resolv": resolv,
        "root": os.path.abspath(root),
        "argv": argv,
        "env": env or {},
        "user": user,
        "workdir": workdir,
        "network": network,
        "status_fd": status_w,
        "probe": probe,
        "rlimits": {k: list(v) for k, v in limits.items()},
        "seccomp": program,
    }
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", os.path.abspath(__file__), str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(status_w,),
        start_new_session=True,
    )
    os.close(status_w)
    if on_start is not None:
        on_start(proc)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdin.write(json.dumps(spec).encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    budget = [OUTPUT_CAP]
    splitters = {proc.stdout.fileno(): _Lines("stdout", on_output, budget),
                 proc.stderr.fileno(): _Lines("stderr", on_output, budget)}
    kept = bytearray()
    tail = bytearray()
    total = 0
    truncated = False
    timed_out = False
    killed: str | None = None
    deadline = None if timeout is None else t0 + timeout
    open_fds = set(splitters)
    next_check = time.monotonic() + 0.2
    while open_fds:
        now = time.monotonic()
        wait = 0.2 if deadline is None else max(0.0, min(0.2, deadline - now))
        ready, _, _ = select.select(list(open_fds), [], [], wait)
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                open_fds.discard(fd)
                splitters[fd].close()
                continue
            total += len(data)
            splitters[fd].feed(data)
            if fd == proc.stdout.fileno():
                room = keep_stdout - len(kept)
                if room > 0:
                    kept += data[:room]
                truncated = truncated or len(data) > room
            else:
                tail += data
                del tail[:-STDERR_TAIL]
        now = time.monotonic()
        if not timed_out and not killed and deadline is not None and now >= deadline:
            timed_out = True
            # Killing the helper kills C, which kills pid 1, which ends the whole pid namespace.
            proc.kill()
        if watchdog is not None and not killed and not timed_out and now >= next_check:
            next_check = now + 0.2
            killed = watchdog()
            if killed:
                proc.kill()
    proc.stdout.close()
    proc.stderr.close()
    proc.wait()
    status = _read_all(status_r)
    warnings: list[str] = []
    setup_error = None
    for line in status.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if "warning" in msg:
            warnings.append(str(msg["warning"]))
        if "error" in msg and setup_error is None:
            setup_error = str(msg["error"])
    code = proc.returncode
    exit_code: int | None = None if timed_out else (128 - code if code < 0 else code)
    return RunResult(exit_code, bytes(kept), bytes(tail), timed_out, setup_error, warnings, time.monotonic() - t0,
                     truncated, total, killed)


def probe() -> str | None:
    """None when sandboxes can be created here, else why not and how to fix it."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="imgb-probe-") as d:
        res = run(d, ["true"], probe=True, timeout=30)
    if res.setup_error:
        return res.setup_error
    if res.exit_code != 0:
        return f"the sandbox probe exited with status {res.exit_code}: {res.stderr.decode(errors='replace').strip()}"
    return None


def _read_all(fd: int) -> str:
    chunks = []
    try:
        while True:
            r, _, _ = select.select([fd], [], [], 1.0)
            if not r:
                break
            b = os.read(fd, 65536)
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(fd)
    return b"".join(chunks).decode(errors="replace")


if __name__ == "__main__":
    sys.exit(main())
