"""The seccomp filter of RUN steps: Docker's default profile for its default capabilities.

An allowlist: every syscall Docker's default profile allows a container without CAP_SYS_ADMIN
(and the other capabilities the sandbox drops) is allowed, everything else fails with EPERM.
So RUN cannot make namespaces (``unshare``, ``setns``, ``clone`` with CLONE_NEW* flags;
``clone3``, whose flags a filter cannot see, answers ENOSYS and libc falls back to ``clone``),
cannot mount, cannot reach the kernel's keyrings (``keyctl``, ``add_key``, ``request_key``),
BPF, perf events, kernel modules, the clock, swap, reboot or ``ptrace`` of anything outside,
and cannot open AF_VSOCK sockets. Unlike Docker 24's profile, io_uring is refused as in Docker
25 and later (its rings bypass this filter). 32-bit (x86) and x32 system calls go through the
same list.

The filter is compiled here, with libseccomp's Python bindings (``pyseccomp``, ctypes over
libseccomp.so.2), into a BPF program that the sandbox helper (standard library only) installs
right before it runs the command. imgb compiles it once per process and hands it to each build
worker it starts (``use``).
"""

from __future__ import annotations

import base64
import errno
import functools
import tempfile

ALLOWED = """
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime
clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create
epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2
execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir
fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork
fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex
futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32
getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid
getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch
inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents
io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule
landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr
llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret
mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify
mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl
msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect
open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll
ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64
recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction
rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam
sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield
seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg
sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl
shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice
stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate
truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice
wait4 waitid waitpid write writev
process_vm_readv process_vm_writev ptrace
chroot
arch_prctl modify_ldt
""".split()
"""Docker's default profile (moby profiles/seccomp/default.json): the unconditional allowlist,
ptrace and process_vm_* (kernel 4.8 and later confine them to the caller's own processes),
chroot (the sandbox keeps CAP_SYS_CHROOT, as Docker does), and x86's arch_prctl and modify_ldt. io_uring_setup, io_uring_enter and io_uring_register are left
out, as Docker 25 does."""

CLONE_NAMESPACE_FLAGS = 0x7E020000
"""CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
CLONE_NEWNET: ``clone`` is allowed only with none of them."""
AF_VSOCK = 40
PERSONALITIES = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)
"""PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and the query."""


class SeccompUnavailable(Exception):
    """libseccomp or its bindings are missing: the message says how to install them."""


_given: list[str] = []


def use(compiled: str) -> None:
    """Take the program compiled by the process that started this one (a build worker gets it
    from imgb on its standard input): compiling costs each worker tens of milliseconds."""
    _given[:] = [compiled]


def program() -> str:
    """The filter as a BPF program, base64: the one given by ``use``, else compiled here once."""
    return _given[0] if _given else _compiled()


@functools.lru_cache(maxsize=1)
def _compiled() -> str:
    try:
        import pyseccomp as sc
    except (ImportError, RuntimeError, OSError) as e:
        raise SeccompUnavailable(
            f"RUN steps run under a seccomp filter, and libseccomp cannot be loaded here ({e}). Install "
            "libseccomp (`apt-get install libseccomp2` on Debian and Ubuntu, `dnf install libseccomp` on "
            "Fedora) and imgb's dependency pyseccomp (`pip install pyseccomp`).") from e
    f = sc.SyscallFilter(sc.ERRNO(errno.EPERM))
    native = sc.system_arch()
    if native == sc.Arch.X86_64:
        for arch in (sc.Arch.X86, sc.Arch.X32):
            f.add_arch(arch)
    elif native == sc.Arch.AARCH64:
        f.add_arch(sc.Arch.ARM)

    def nr(name: str) -> int | None:
        n = sc.resolve_syscall(sc.Arch.NATIVE, name)
        return None if n < 0 else n  # a name this libseccomp or architecture does not know

    for name in ALLOWED:
        if (n := nr(name)) is not None:
            f.add_rule(sc.ALLOW, n)
    clone = nr("clone")
    assert clone is not None
    # s390 passes clone's flags second; everywhere else first.
    flags_arg = 1 if native in (sc.Arch.S390, sc.Arch.S390X) else 0
    f.add_rule(sc.ALLOW, clone, sc.Arg(flags_arg, sc.MASKED_EQ, CLONE_NAMESPACE_FLAGS, 0))
    if (clone3 := nr("clone3")) is not None:
        f.add_rule(sc.ERRNO(errno.ENOSYS), clone3)
    socket_nr = nr("socket")
    assert socket_nr is not None
    f.add_rule(sc.ALLOW, socket_nr, sc.Arg(0, sc.NE, AF_VSOCK))
    if (personality := nr("personality")) is not None:
        for value in PERSONALITIES:
            f.add_rule(sc.ALLOW, personality, sc.Arg(0, sc.EQ, value))
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        code = out.read()
    if not code or len(code) % 8:
        raise SeccompUnavailable("libseccomp exported an empty or malformed filter")
    return base64.b64encode(code).decode()

