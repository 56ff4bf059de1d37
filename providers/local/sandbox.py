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
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
# Docker's default capability set: chown dac_override fowner fsetid kill setgid setuid setpcap
# net_bind_service net_raw sys_chroot mknod audit_write setfcap.
KEEP_CAPS = frozenset({0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31})
SETUP_FAILED = 125
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
# Caps (soft, hard) on RUN processes' resource limits; a lower current limit is kept. No core
# dumps into the image; enough files and processes for package managers and parallel builds.
DEFAULT_RLIMITS: dict[str, tuple[int, int]] = {"CORE": (0, 0), "NOFILE": (65536, 65536), "NPROC": (4096, 4096)}

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


def _is_real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


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


def _own_ranges(kind: str) -> list[tuple[int, int]]:
    """(first id, count) of each range mapped into this process's user namespace."""
    out = []
    with open(f"/proc/self/{kind}_map") as f:
        for line in f:
            inside, _outside, count = (int(x) for x in line.split())
            out.append((inside, count))
    return out


def _write_maps(pid: int) -> None:
    """Write the uid/gid maps of ``pid`` (in a new user namespace) from this, its parent namespace."""
    uid, user = _who()
    if uid == 0:
        # The identity over our own ids: all of them on the host, the mapped ranges when imgb
        # itself runs in a user namespace (the rootless build worker, or a container).
        try:
            for kind in ("uid", "gid"):
                with open(f"/proc/{pid}/{kind}_map", "w") as f:
                    f.write("".join(f"{first} {first} {count}\n" for first, count in _own_ranges(kind)))
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


def fork_mapped(flags: int) -> int:
    """Fork a child that unshares ``flags`` (CLONE_NEWUSER among them); map its ids from here.

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
        _write_maps(pid)
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


def _setup_dev(dev: str) -> None:
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k")
    for name in DEV_NODES:
        if not os.path.exists(f"/dev/{name}"):
            continue
        target = os.path.join(dev, name)
        open(target, "w").close()
        try:
            _mount(f"/dev/{name}", target, None, MS_BIND)
        except SetupError:
            os.unlink(target)
    os.mkdir(os.path.join(dev, "pts"))
    try:
        _mount("devpts", os.path.join(dev, "pts"), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
        os.symlink("pts/ptmx", os.path.join(dev, "ptmx"))
    except SetupError:
        pass
    os.mkdir(os.path.join(dev, "shm"), 0o1777)
    os.chmod(os.path.join(dev, "shm"), 0o1777)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))


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


def _pid1(spec: dict[str, Any], status_fd: int) -> None:
    root = os.path.abspath(spec["root"])
    # A user namespace made inside one whose setgroups is denied cannot set groups either.
    try:
        with open("/proc/self/setgroups") as f:
            may_set_groups = f.read().strip() == "allow"
    except OSError:
        may_set_groups = True
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount(root, root, None, MS_BIND | MS_REC)
    proc = os.path.join(root, "proc")
    if _is_real_dir(proc):
        try:
            _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except SetupError as e:
            _status(status_fd, warning=f"a fresh /proc could not be mounted ({e}); binding the host's /proc instead")
            _mount("/proc", proc, None, MS_BIND | MS_REC)
    dev = os.path.join(root, "dev")
    if _is_real_dir(dev):
        _setup_dev(dev)
    if spec.get("network"):
        etc = os.path.join(root, "etc")
        resolv = os.path.join(etc, "resolv.conf")
        if _is_real_dir(etc) and os.path.isfile(resolv) and not os.path.islink(resolv) and os.path.isfile("/etc/resolv.conf"):
            _mount("/etc/resolv.conf", resolv, None, MS_BIND)
            _mount(None, resolv, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
    else:
        _lo_up()
    hostname = spec.get("hostname", "imgb").encode()
    _check(_libc.sethostname(hostname, len(hostname)), "sethostname")
    os.chdir(root)
    nr = PIVOT_ROOT.get(os.uname().machine)
    if nr is None:
        raise SetupError(f"pivot_root: unsupported architecture {os.uname().machine}")
    _check(_libc.syscall(nr, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    if spec.get("probe"):
        os._exit(0)
    uid, gid, groups, home = _lookup_user(spec.get("user") or "root")
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
        hint = " (rootless builds map ids 0 to 65535 only)" if e.errno == errno.EINVAL else ""
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
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as e:
        raise SetupError(f"exec {argv[0]}: {e.strerror}") from e


def _child(spec: dict[str, Any], status_fd: int) -> int:
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
            _pid1(spec, status_fd)
        except SetupError as e:
            _status(status_fd, error=f"setting up the build sandbox failed: {e}")
        except BaseException as e:  # any failure before exec must not run the host's Python on
            _status(status_fd, error=f"setting up the build sandbox failed: {e!r}")
        os._exit(SETUP_FAILED)
    os.close(alive_r)
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
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC
    if not spec.get("network"):
        flags |= CLONE_NEWNET
    try:
        pid = fork_mapped(flags)
    except SetupError as e:
        _status(status_fd, error=str(e))
        return SETUP_FAILED
    if pid == 0:
        os._exit(_child(spec, status_fd))
    return _wait_code(pid)


# -- the host side ------------------------------------------------------------------------------


@dataclass
class RunResult:
    exit_code: int | None
    """The command's exit status (128+signal when killed); None on a timeout."""
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    setup_error: str | None = None
    """Why the sandbox could not be created (the command never ran), with how to fix it."""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


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
) -> RunResult:
    """Run ``argv`` inside ``root`` (an image tree) and capture its output.

    Safe to call from any thread. ``on_start`` receives the helper's Popen (to kill it on cancel).
    ``rlimits`` caps resource limits by name ("NPROC": (soft, hard)); DEFAULT_RLIMITS otherwise.
    """
    t0 = time.monotonic()
    status_r, status_w = os.pipe()
    spec = {
        "root": os.path.abspath(root),
        "argv": argv,
        "env": env or {},
        "user": user,
        "workdir": workdir,
        "network": network,
        "status_fd": status_w,
        "probe": probe,
        "rlimits": {k: list(v) for k, v in (DEFAULT_RLIMITS if rlimits is None else rlimits).items()},
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
    timed_out = False
    try:
        out, err = proc.communicate(json.dumps(spec).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        # Killing the helper kills C, which kills pid 1, which ends the whole pid namespace.
        proc.kill()
        out, err = proc.communicate()
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
    return RunResult(exit_code, out, err, timed_out, setup_error, warnings, time.monotonic() - t0)


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
