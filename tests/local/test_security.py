"""Containment: chroot escapes, COPY outside the context or the image, hostile layers, network."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest

from imgb import fsops
from imgb.providers.base import ProviderError
from imgb.providers.local import LocalProvider, import_image, layers, sandbox
from imgb.providers.local.baseimages import make_busybox_rootfs
from tests.local.conftest import Build, needs_sandbox

ESCAPE_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
    mkdir("escape-dir", 0755);
    if (chroot("escape-dir") != 0) { perror("chroot"); return 2; }
    for (int i = 0; i < 64; i++) chdir("..");
    chroot(".");
    int fd = open(argv[1], O_RDONLY);
    if (fd >= 0) { printf("ESCAPED: read %s\n", argv[1]); }
    fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) { write(fd, "x", 1); close(fd); }
    printf("done\n");
    return 0;
}
"""


@pytest.fixture
def busybox_root(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    root.mkdir()
    make_busybox_rootfs(str(root))
    return root


@needs_sandbox
@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is needed to compile the escape program")
def test_a_chroot_escape_run_by_run_stays_contained(build: Build, context: Path, tmp_path: Path) -> None:
    src = tmp_path / "escape.c"
    src.write_text(ESCAPE_C)
    res = subprocess.run(["gcc", "-static", "-O1", "-o", str(context / "escape"), str(src)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"static linking unavailable: {res.stderr.decode()[-200:]}")
    secret = tmp_path / "host-secret"
    secret.write_text("secret")
    proof = tmp_path / f"escaped-{uuid.uuid4().hex}"
    image = build(f"COPY escape /escape\nRUN cd /tmp && /escape {secret} {proof} > /tmp/out && cat /tmp/out\n",
                  "RUN grep -q done /tmp/out && ! grep -q ESCAPED /tmp/out")
    assert image["status"] == "Available"  # the program ran to the end and could not read the host file
    assert not proof.exists(), "the escape program wrote to the host"


@needs_sandbox
def test_run_sees_only_loopback_by_default_and_its_own_network_when_asked(busybox_root: Path) -> None:
    isolated = sandbox.run(str(busybox_root), ["/bin/sh", "-c", "cat /proc/net/dev"])
    assert isolated.exit_code == 0, isolated
    ifaces = {line.split(":")[0].strip() for line in isolated.stdout.decode().splitlines()[2:]}
    assert ifaces == {"lo"}
    shared = sandbox.run(str(busybox_root), ["/bin/sh", "-c", "cat /proc/net/dev"], network=True)
    if shared.setup_error and "/dev/net/tun" in shared.setup_error and not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return  # rootless on a host whose /dev/net/tun is root's only: refused, with the fix
    assert shared.exit_code == 0, shared
    # Never the host's interfaces: a namespace of its own, connected through slirp4netns.
    assert {line.split(":")[0].strip() for line in shared.stdout.decode().splitlines()[2:]} == {"lo", "tap0"}


@needs_sandbox
def test_run_has_its_own_pid_namespace_hostname_and_root(busybox_root: Path) -> None:
    res = sandbox.run(str(busybox_root), ["/bin/sh", "-c", "echo $$; hostname; ls /proc | grep -c '^[0-9]'; ls /"])
    pid, host, nprocs, *entries = res.stdout.decode().split()
    assert (pid, host) == ("1", "imgb")
    assert int(nprocs) <= 3
    assert set(entries) == set(os.listdir(busybox_root))


@needs_sandbox
def test_a_timeout_kills_every_process_of_the_sandbox(busybox_root: Path) -> None:
    marker = uuid.uuid4().hex
    res = sandbox.run(str(busybox_root), ["/bin/sh", "-c", f"sleep 60 & sleep 60; : {marker}"], timeout=0.5)
    assert res.timed_out and res.exit_code is None and res.seconds < 5
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0


@needs_sandbox
@pytest.mark.parametrize("src", ["../outside.txt", "/etc/hostname", "link-out", "files/../../outside.txt"])
def test_copy_from_outside_the_configuration_directory_is_refused(build: Build, context: Path, src: str) -> None:
    (context.parent / "outside.txt").write_text("host file")
    (context / "link-out").symlink_to(context.parent / "outside.txt")
    with pytest.raises(ProviderError) as info:
        build(f"COPY {src} /x\n")
    assert info.value.code == "InvalidCopySource" and not info.value.retryable


@needs_sandbox
def test_base_image_symlinks_pointing_outside_cannot_make_copy_write_outside(
    provider: LocalProvider, build: Build, busybox_root: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (busybox_root / "abs").symlink_to(victim)
    (busybox_root / "rel").symlink_to("../" * 30 + str(victim).lstrip("/"))
    import_image(provider.store.root, "local-1", "hostile", str(busybox_root))
    image = build("COPY files/index.html /abs/a\nCOPY files/index.html /rel/b\n",
                  f"RUN test -f {victim}/a && test -f {victim}/b", base="hostile")
    assert image["status"] == "Available"  # both files landed inside the image, at the victim's path
    assert list(victim.iterdir()) == []


def _tar(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    buf.seek(0)
    return buf


def _file(name: str, data: bytes = b"pwned") -> tuple[tarfile.TarInfo, bytes]:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    return ti, data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname = kind, target
    return ti, None


def test_hostile_layers_cannot_write_outside_the_root(tmp_path: Path) -> None:
    root, victim = tmp_path / "root", tmp_path / "victim"
    root.mkdir()
    victim.mkdir()
    layer = _tar([
        _file("../../" * 10 + str(victim).lstrip("/") + "/dotdot"),
        _file(str(victim) + "/absolute"),
        _link("lnk", str(victim)),
        _file("lnk/through-link"),
        _link("rel", "../" * 20 + str(victim).lstrip("/")),
        _file("rel/through-rel"),
    ])
    layers.extract_layer(layer, str(root))
    assert list(victim.iterdir()) == []
    assert (root / str(victim).lstrip("/") / "through-link").exists()
    hardlink = _tar([_link("hl", str(tmp_path / "outside"), tarfile.LNKTYPE)])
    (tmp_path / "outside").write_text("host")
    with pytest.raises(layers.UnsafeEntry):
        layers.extract_layer(hardlink, str(root))


def test_paths_resolve_inside_the_tree_like_after_a_chroot(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "a").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("image")
    (root / "a" / "up").symlink_to("../../../../..")
    (root / "abs").symlink_to("/a")
    rootfd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        def real(path: str, flags: int = os.O_PATH) -> str:
            fd = fsops.open_in_root(rootfd, path, flags)
            try:
                return os.readlink(f"/proc/self/fd/{fd}")
            finally:
                os.close(fd)

        assert real("/../../etc/passwd") == str(root / "etc/passwd")
        assert real("a/up/etc") == str(root / "etc")
        assert real("abs") == str(root / "a")
        assert real("abs", os.O_PATH | os.O_NOFOLLOW) == str(root / "abs")
        with pytest.raises(OSError):
            fsops.open_beneath(rootfd, "abs", os.O_PATH)  # no link at all on that path
    finally:
        os.close(rootfd)


@needs_sandbox
def test_run_steps_get_capped_resource_limits_and_a_fork_bomb_stops_at_the_cap(busybox_root: Path) -> None:
    res = sandbox.run(str(busybox_root), ["/bin/sh", "-c", "ulimit -c; ulimit -n; ulimit -u; umask"])
    core, nofile, nproc, umask = res.stdout.decode().split()
    assert core == "0" and umask == "0022"
    assert 0 < int(nofile) <= 65536 and 0 < int(nproc) <= 4096
    # The kernel exempts host uid 0 from RLIMIT_NPROC, so the bomb runs as another user (rootless,
    # the image's root is an ordinary host uid and is capped too).
    bomb = "i=0; while [ $i -lt 50 ]; do sleep 5 & i=$((i+1)); done; echo all-started"
    res = sandbox.run(str(busybox_root), ["/bin/sh", "-c", bomb], user="nobody", workdir="/tmp",
                      rlimits={"NPROC": (8, 8)}, timeout=30)
    assert b"all-started" not in res.stdout and b"can't fork" in res.stderr, res
