"""Attacks from inside a RUN step: the kernel's settings, /proc, namespaces, dangerous system calls,
keyrings, device nodes, and resources. Each asserts that the attack failed and the host is as it was."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from imgb.providers.local import sandbox
from tests.security.conftest import needs_sandbox, out, run_in

pytestmark = needs_sandbox

SYSCTLS = ["kernel/core_pattern", "kernel/core_uses_pid", "kernel/panic", "vm/overcommit_memory", "kernel/pid_max",
           "fs/protected_symlinks", "user/max_user_namespaces"]


@pytest.mark.parametrize("name", SYSCTLS)
def test_run_cannot_write_a_host_sysctl(rootfs: Path, name: str) -> None:
    # The critical escape: as root, `echo '|/proc/%P/root/pwn' > /proc/sys/kernel/core_pattern`
    # made the host kernel run the image's program as host root. The attack writes the value the
    # setting already has, so even a failed containment changes nothing on this machine.
    host = Path("/proc/sys", name)
    before = host.read_text()
    res = run_in(rootfs, f'v="$(cat /proc/sys/{name})"; printf "%s\\n" "$v" > /proc/sys/{name} && echo WROTE')
    assert "WROTE" not in out(res), out(res)
    assert host.read_text() == before


def test_the_core_pattern_escape_does_not_reach_the_host(rootfs: Path, tmp_path: Path) -> None:
    # The payload of the report, aimed at a path that exists only inside the image: had the write
    # gone through, the host kernel would now name the image's program in core_pattern.
    before = Path("/proc/sys/kernel/core_pattern").read_text()
    res = run_in(rootfs, "echo '|/proc/%P/root/pwn' > /proc/sys/kernel/core_pattern; "
                         "cat /proc/sys/kernel/core_pattern; sh -c 'kill -SEGV $$'; true")
    assert "|/proc/%P/root/pwn" not in res.stdout.decode()
    assert Path("/proc/sys/kernel/core_pattern").read_text() == before


def test_the_images_root_is_not_the_hosts_root(rootfs: Path) -> None:
    marker = uuid.uuid4().hex
    holder: dict[str, sandbox.RunResult] = {}
    t = threading.Thread(target=lambda: holder.update(
        r=run_in(rootfs, f"cat /proc/self/uid_map; exec /bin/sh -c 'sleep 3; :' {marker}")))
    t.start()
    host_uids: list[int] = []
    deadline = time.monotonic() + 20
    while not host_uids and time.monotonic() < deadline:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            if cmd.split(b"\0")[-2:-1] == [marker.encode()]:
                host_uids = [int(x) for x in re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()]  # type: ignore[union-attr]
        time.sleep(0.05)
    t.join()
    assert host_uids, "the sandboxed process was not found"
    assert 0 not in host_uids, f"RUN's root runs as host uid {host_uids}"
    lines = [line.split() for line in holder["r"].stdout.decode().splitlines()]
    assert all(outside != "0" for _inside, outside, _n in lines), lines


@pytest.mark.parametrize("path", ["/proc/sysrq-trigger", "/proc/irq/default_smp_affinity", "/proc/sys/vm/drop_caches"])
def test_proc_files_that_reach_the_host_kernel_are_read_only(rootfs: Path, path: str) -> None:
    # drop_caches and sysrq-trigger are written with values that change nothing that matters
    # (sysrq "h" prints help to the kernel log; the mask stays as it is).
    value = {"/proc/sysrq-trigger": "h", "/proc/sys/vm/drop_caches": "1"}.get(path)
    cmd = f'echo {value} > {path}' if value else f'v="$(cat {path})"; echo "$v" > {path}'
    res = run_in(rootfs, f"{cmd} && echo WROTE")
    assert "WROTE" not in out(res), out(res)


@pytest.mark.parametrize("name", ["kcore", "keys", "timer_list", "sched_debug", "latency_stats"])
def test_proc_files_that_leak_the_host_are_masked(rootfs: Path, name: str) -> None:
    res = run_in(rootfs, f"cat /proc/{name} 2>/dev/null | head -c 4096 | wc -c")
    assert res.stdout.decode().strip() == "0"


@pytest.mark.parametrize("what", ["unshare-user", "unshare-mount", "unshare-net", "clone-user", "clone3-user", "setns"])
def test_run_cannot_make_or_enter_namespaces(rootfs: Path, what: str) -> None:
    # A nested user namespace would regain every capability (`unshare -Urm`).
    res = run_in(rootfs, f"probe {what}")
    assert f"DENIED {what}" in res.stdout.decode(), out(res)


def test_busybox_unshare_gets_no_capabilities_back(rootfs: Path) -> None:
    res = run_in(rootfs, "unshare -Urm sh -c 'mount -t tmpfs none /tmp && echo MOUNTED'; "
                         "unshare -r id && echo UNSHARED; true")
    assert "MOUNTED" not in out(res) and "UNSHARED" not in out(res), out(res)


@pytest.mark.parametrize("what", ["mount", "keyctl-session", "keyctl-read", "add_key", "request_key", "bpf",
                                  "perf_event_open", "io_uring", "init_module", "swapon", "reboot", "settimeofday",
                                  "vsock"])
def test_seccomp_refuses_dangerous_system_calls(rootfs: Path, what: str) -> None:
    res = run_in(rootfs, f"probe {what} imgb-probe")
    assert f"DENIED {what}" in res.stdout.decode(), out(res)


def test_ordinary_programs_still_work_under_the_filter(rootfs: Path) -> None:
    res = run_in(rootfs, "mkdir -p /tmp/a && cd /tmp/a && echo hi > f && ln -s f l && cat l && tar cf /tmp/t.tar . "
                         "&& sort </etc/passwd | head -1 && (sleep 0.1 &) && wait && chroot / true && echo ok")
    assert res.exit_code == 0 and res.stdout.decode().endswith("ok\n"), out(res)


KEYRING_HOLDER = r"""
import ctypes, json, os, sys
sys.path[:0] = json.loads(sys.argv[1])
from imgb.providers.local import sandbox
libc = ctypes.CDLL(None, use_errno=True)
add_key = {"x86_64": 248, "aarch64": 217, "riscv64": 217, "ppc64le": 269, "s390x": 278}[os.uname().machine]
# A session keyring of this process only, holding a secret, as a CI job's keyring might.
assert libc.syscall(sandbox.SYS_KEYCTL[os.uname().machine], 1, b"imgb-test-session") >= 0
assert libc.syscall(add_key, b"user", b"imgb-test-secret", b"s3cr3t-payload", 14, -3) >= 0
res = sandbox.run(sys.argv[2], ["/bin/sh", "-c", "probe keyctl-read; probe request_key imgb-test-secret; cat /proc/keys"],
                  timeout=60)
print(json.dumps({"out": (res.stdout + res.stderr).decode(errors="replace"), "err": res.setup_error}))
"""


def test_run_cannot_read_the_session_keyring_imgb_was_started_with(rootfs: Path) -> None:
    import json

    res = subprocess.run([sys.executable, "-c", KEYRING_HOLDER, json.dumps(sys.path), str(rootfs)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["err"] is None
    assert "s3cr3t" not in got["out"] and "imgb-test" not in got["out"], got["out"]
    assert "DENIED keyctl-read" in got["out"] and "DENIED request_key" in got["out"]


def test_run_cannot_make_device_nodes(rootfs: Path) -> None:
    res = run_in(rootfs, "probe mknod /tmp/null; mknod /tmp/kvm c 10 232 && echo MADE; ls -l /tmp")
    assert "DENIED mknod" in res.stdout.decode() and "MADE" not in res.stdout.decode(), out(res)
    assert not (rootfs / "tmp" / "null").exists() and not (rootfs / "tmp" / "kvm").exists()


def test_device_nodes_in_the_tree_cannot_be_opened(rootfs: Path) -> None:
    # The build tree is mounted nodev: even a node that got into it is useless. Only the host's
    # root can place one there (rootless, neither the host side nor RUN can make one); the mount
    # flag is checked both ways.
    host_root = os.geteuid() == 0 and open("/proc/self/uid_map").read().split()[:2] == ["0", "0"]
    if host_root:
        os.mknod(rootfs / "mem", 0o666 | 0o020000, os.makedev(1, 1))
        os.mknod(rootfs / "null2", 0o666 | 0o020000, os.makedev(1, 3))
    res = run_in(rootfs, "awk '$5 == \"/\" {print $6}' /proc/self/mountinfo; probe open /mem; probe open-write /null2")
    text = res.stdout.decode()
    assert "nodev" in text.splitlines()[0].split(","), text
    assert "ALLOWED open" not in text, text


def test_a_fork_bomb_stops_at_the_process_cap_even_as_the_images_root(rootfs: Path) -> None:
    # As host root, RLIMIT_NPROC did not bind (6,000 processes): the image's root is now a
    # subordinate id, which it binds.
    bomb = "i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done; echo all-started"
    res = run_in(rootfs, bomb, rlimits={**sandbox.default_rlimits(), "NPROC": (32, 32)}, timeout=60)
    assert b"all-started" not in res.stdout and b"can't fork" in res.stderr, out(res)


def test_a_run_step_cannot_take_unbounded_memory(rootfs: Path) -> None:
    # 1.5 GiB touched went through before; the default cap is below it.
    res = run_in(rootfs, "dd if=/dev/zero of=/dev/null bs=1536M count=1 && echo TOUCHED")
    assert res.exit_code != 0 and b"TOUCHED" not in res.stdout, out(res)


def test_endless_output_is_streamed_with_a_cap_not_buffered(rootfs: Path) -> None:
    lines: list[int] = []
    res = run_in(rootfs, "yes 0123456789abcdef0123456789abcdef | head -c 60000000; echo done >&2",
                 on_output=lambda stream, line: lines.append(len(line)))
    assert res.exit_code == 0 and res.output_bytes >= 60000000
    assert sum(lines) + len(lines) <= sandbox.OUTPUT_CAP + 64 * 1024
    assert len(res.stdout) <= 1024 * 1024 and len(res.stderr) <= sandbox.STDERR_TAIL
    assert res.stdout_truncated


def test_a_step_that_outlives_its_time_limit_is_killed_with_everything_it_started(rootfs: Path) -> None:
    marker = uuid.uuid4().hex
    res = sandbox.run(str(rootfs), ["/bin/sh", "-c", f"sleep 60 & sleep 60; : {marker}"], timeout=0.5)
    assert res.timed_out and res.exit_code is None and res.seconds < 10
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0


def test_a_setuid_program_in_the_image_gives_no_privileges(rootfs: Path) -> None:
    (rootfs / "bin" / "suid-id").write_bytes((rootfs / "bin" / "probe").read_bytes())
    os.chmod(rootfs / "bin" / "suid-id", 0o4755)
    res = run_in(rootfs, "suid-id uid", user="nobody", workdir="/")
    assert "euid 65534" in res.stdout.decode(), out(res)


def test_libc_sees_eperm_not_a_crash(rootfs: Path) -> None:
    # The filter answers EPERM (ENOSYS for clone3): programs get an error they can handle.
    res = run_in(rootfs, "probe bpf; probe clone3-user; echo alive")
    assert res.exit_code == 0 and "alive" in res.stdout.decode()


def test_with_network_a_run_step_cannot_reach_the_hosts_loopback_or_abstract_sockets(rootfs: Path) -> None:
    # The report: with network enabled by the configuration, RUN reached host services on
    # 127.0.0.1 and host abstract sockets. Now the network is the operator's decision, and even
    # then it is a namespace of its own behind slirp4netns with the host's loopback cut off.
    import socket

    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    port = tcp.getsockname()[1]
    name = f"imgb-test-{uuid.uuid4().hex}"
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0" + name)
    abstract.listen(8)
    try:
        res = sandbox.run(str(rootfs), ["/bin/sh", "-c", f"probe tcp 127.0.0.1:{port}; probe tcp 10.0.2.2:{port}; "
                                        f"probe abstract {name}; cut -d: -f1 /proc/net/dev"], network=True, timeout=60)
        # Rootless, slirp4netns needs /dev/net/tun open to the user (0666, as Debian's udev makes
        # it; .ci/install sees to it): the error says so.
        assert res.setup_error is None, res.setup_error
        text = res.stdout.decode()
        assert text.count("DENIED tcp") == 2 and "DENIED abstract" in text, text
        assert "tap0" in text and "eth" not in text, text
    finally:
        tcp.close()
        abstract.close()


def test_without_network_only_loopback_exists(rootfs: Path) -> None:
    res = run_in(rootfs, "cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '; probe tcp 10.0.2.2:53")
    lines = res.stdout.decode().split()
    assert lines[0] == "lo" and "DENIED" in lines, lines
