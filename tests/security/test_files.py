"""Attacks through files: hostile base images (build, `imgb image import` of a tarball, of an OCI
layout), COPY sources and destinations, races on the configuration directory, tampered stores,
and a full disk. Each attack aims at a victim directory of the test's own and checks it after."""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import os
import shutil
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from imgb.providers.base import ProviderError, no_progress
from imgb.providers.local import LocalProvider, import_image, layers
from tests.security.conftest import Build, Victim, make_template, needs_sandbox


def _tar(*entries: tuple[str, str, object]) -> bytes:
    """A layer: (name, kind, arg) with kind dir (mode), file (bytes), sym (target), link (target),
    chr/blk ((major, minor)), fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            data = None
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, int(arg)  # type: ignore[call-overload]
            elif kind == "file":
                data = bytes(arg)  # type: ignore[call-overload]
                ti.size, ti.mode = len(data), 0o644
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, str(arg)
            elif kind == "link":
                ti.type, ti.linkname = tarfile.LNKTYPE, str(arg)
            elif kind in ("chr", "blk"):
                ti.type = tarfile.CHRTYPE if kind == "chr" else tarfile.BLKTYPE
                ti.devmajor, ti.devminor = arg  # type: ignore[misc]
                ti.mode = 0o666
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _hostile_layers(victim: Victim) -> list[bytes]:
    """Every trick against extraction that was reported or is of the same kind, aimed at ``victim``."""
    v = str(victim.path)
    return [
        # The report: x/, x/victim/ (6777), then x -> the host directory; the deferred chmod and
        # utime of x/victim followed the link.
        _tar(("x", "dir", 0o755), ("x/victim", "dir", 0o6777), ("x", "sym", v)),
        _tar(("y", "sym", v), ("y/planted", "file", b"pwned"), ("y/secret.txt", "file", b"overwritten")),
        _tar(("z", "sym", "../" * 40 + v.lstrip("/")), ("z/planted", "file", b"pwned"), ("z", "dir", 0o777)),
        _tar(("w", "sym", v), ("w/.wh.secret.txt", "file", b"")),          # a whiteout through a link
        _tar(("o", "sym", v), ("o/.wh..wh..opq", "file", b"")),            # an opaque directory through a link
        _tar(("../" * 30 + v.lstrip("/") + "/dotdot", "file", b"pwned"), (v + "/absolute", "file", b"pwned")),
        _tar(("d", "dir", 0o755), ("d", "sym", v), ("d/sub", "dir", 0o777), ("d/sub/f", "file", b"pwned")),
        _tar(("f", "file", b"a"), ("f", "sym", v + "/secret.txt"), ("f", "file", b"overwritten")),
    ]


def test_hostile_layers_change_nothing_outside_the_tree(tmp_path: Path, victim: Victim) -> None:
    root = tmp_path / "root"
    root.mkdir()
    for layer in _hostile_layers(victim):
        layers.extract_layer(io.BytesIO(layer), str(root))
    assert victim.untouched()
    assert [p.read_bytes() for p in root.rglob("planted")] == [b"pwned"] * 2  # they landed inside


@pytest.mark.parametrize("target", ["secret", "through-link"])
def test_hard_links_to_host_files_are_refused(tmp_path: Path, victim: Victim, target: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    name = str(victim.secret) if target == "secret" else "l/secret.txt"
    layer = _tar(("l", "sym", str(victim.path)), ("hl", "link", name))
    with pytest.raises(layers.UnsafeEntry):
        layers.extract_layer(io.BytesIO(layer), str(root))
    assert victim.untouched() and not (root / "hl").exists()


def test_device_nodes_are_recorded_never_created(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    nodes = [("dev-kvm", (10, 232)), ("tty0", (4, 0)), ("console", (5, 1)), ("fuse", (10, 229)), ("mem", (1, 1))]
    layer = _tar(("nodes", "dir", 0o755), *((f"nodes/{n}", "chr", mm) for n, mm in nodes),
                 ("nodes/loop0", "blk", (7, 0)))
    got = layers.extract_layer(io.BytesIO(layer), str(root))
    assert list((root / "nodes").iterdir()) == []
    assert sorted(ti.name for ti in got.devices) == sorted([f"nodes/{n}" for n, _ in nodes] + ["nodes/loop0"])


@needs_sandbox
def test_an_imported_tarball_keeps_its_device_nodes_in_the_layer_only(provider: LocalProvider, tmp_path: Path,
                                                                        build: Build) -> None:
    tarball = tmp_path / "base.tar"
    base = tmp_path / "rootfs"
    base.mkdir()
    from imgb.providers.local.baseimages import make_busybox_rootfs

    make_busybox_rootfs(str(base))
    with tarfile.open(tarball, "w") as t:
        t.add(base, arcname=".")
        for name, mm in (("kvm", (10, 232)), ("mem", (1, 1))):
            ti = tarfile.TarInfo(f"./srv/{name}")
            ti.type, (ti.devmajor, ti.devminor), ti.mode = tarfile.CHRTYPE, mm, 0o666
            t.addfile(ti)
    rec = import_image(provider.store.root, "local-1", "withnodes", str(tarball))
    lay = provider.store.layout("local-1")
    manifest = lay.read_json(rec["manifest_digest"])
    with tarfile.open(lay.blob_path(manifest["layers"][0]["digest"])) as t:
        assert {ti.name for ti in t if ti.ischr()} >= {"srv/kvm", "srv/mem"}
    image = build("RUN probe open /srv/kvm > /out; probe open /srv/mem >> /out; cat /out",
                  "RUN ! grep -q ALLOWED /out", base="withnodes")
    assert image["status"] == "Available"


@needs_sandbox
@pytest.mark.parametrize("how", ["build", "import-tar", "import-oci"])
def test_a_hostile_base_image_changes_no_host_directory(provider: LocalProvider, tmp_path: Path, victim: Victim,
                                                         how: str, context: Path) -> None:
    bad = _hostile_layers(victim)
    if how == "import-tar":
        for i, layer in enumerate(bad):
            (tmp_path / f"l{i}.tar").write_bytes(layer)
            import_image(provider.store.root, "local-1", f"bad{i}", str(tmp_path / f"l{i}.tar"))
        assert victim.untouched()
        return
    oci = tmp_path / "oci"
    _write_oci(oci, bad)
    rec = import_image(provider.store.root, "local-1", "bad", f"oci:{oci}")
    assert victim.untouched()
    if how == "build":
        tid = make_template(provider, "COPY files/index.html /copied", base="bad")
        img = provider.wait("image", provider.start("image", {"template_id": tid, "context_dir": str(context)},
                                                    str(uuid.uuid4())), no_progress)
        assert img["status"] == "Available" and rec["id"]
    assert victim.untouched()


def _write_oci(path: Path, layer_blobs: list[bytes]) -> str:
    (path / "blobs" / "sha256").mkdir(parents=True)

    def put(data: bytes) -> str:
        d = hashlib.sha256(data).hexdigest()
        (path / "blobs" / "sha256" / d).write_bytes(data)
        return "sha256:" + d

    lds = [put(b) for b in layer_blobs]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": lds}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config),
                                      "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d,
                                       "size": len(b)} for d, b in zip(lds, layer_blobs, strict=True)]}).encode()
    md = put(manifest)
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(manifest),
         "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
    return md


def test_an_oci_import_copies_blobs_so_their_owner_cannot_rewrite_them(provider: LocalProvider,
                                                                       tmp_path: Path) -> None:
    oci = tmp_path / "oci"
    _write_oci(oci, [_tar(("etc", "dir", 0o755), ("etc/motd", "file", b"hello"))])
    rec = import_image(provider.store.root, "local-1", "copied", f"oci:{oci}")
    lay = provider.store.layout("local-1")
    for d in lay.manifest_blobs(rec["manifest_digest"]):
        ours, theirs = lay.blob_path(d), oci / "blobs" / "sha256" / d.split(":")[1]
        assert os.stat(ours).st_ino != os.stat(theirs).st_ino
        os.chmod(theirs, 0o644)
        theirs.write_bytes(b"rewritten by the layout's owner")
        assert hashlib.sha256(ours.read_bytes()).hexdigest() == d.split(":")[1]


@pytest.mark.parametrize("trick", ["symlinked-blob", "corrupt-blob"])
def test_an_oci_layout_with_a_linked_or_corrupt_blob_is_refused(provider: LocalProvider, tmp_path: Path,
                                                                victim: Victim, trick: str) -> None:
    from imgb.providers.local.baseimages import BaseImageError

    oci = tmp_path / "oci"
    md = _write_oci(oci, [_tar(("etc", "dir", 0o755))])
    manifest = json.loads((oci / "blobs" / "sha256" / md.split(":")[1]).read_bytes())
    layer = oci / "blobs" / "sha256" / manifest["layers"][0]["digest"].split(":")[1]
    layer.unlink()
    if trick == "symlinked-blob":
        layer.symlink_to(victim.secret)
    else:
        layer.write_bytes(b"not the layer")
    with pytest.raises(BaseImageError):
        import_image(provider.store.root, "local-1", "bad", f"oci:{oci}")
    assert victim.untouched() and provider.store.records("local-1", "images") == []


@needs_sandbox
@pytest.mark.parametrize("what", ["layer", "manifest", "config"])
def test_a_tampered_store_blob_fails_the_next_build_finally(provider: LocalProvider, build: Build,
                                                            context: Path, what: str) -> None:
    first = build("RUN echo one > /one")
    lay = provider.store.layout("local-1")
    rec = provider.store.get("local-1", "images", first["id"])
    assert rec is not None
    manifest = json.loads(lay.blob_path(rec["manifest_digest"]).read_bytes())
    digest = {"layer": manifest["layers"][-1]["digest"], "manifest": rec["manifest_digest"],
              "config": manifest["config"]["digest"]}[what]
    blob = lay.blob_path(digest)
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    with pytest.raises(ProviderError) as info:
        build("RUN true", base=first["id"])
    assert info.value.code == "InvalidImage.Corrupt" and not info.value.retryable, info.value


def _rename_exchange(dirfd_path: Path, a: str, b: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(dirfd_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        libc.renameat2(fd, a.encode(), fd, b.encode(), 2)  # RENAME_EXCHANGE
    finally:
        os.close(fd)


@needs_sandbox
def test_swapping_a_copied_directory_for_a_link_while_copy_reads_leaks_nothing(
        provider: LocalProvider, context: Path, victim: Victim) -> None:
    # The report: a directory exchanged for a symlink (renameat2 RENAME_EXCHANGE) while another
    # template's COPY reads it leaked host files. Here the exchange runs without pause, at the
    # top and one level down, through forty COPYs of one build.
    (context / "dir" / "sub").mkdir(parents=True)
    for i in range(20):
        (context / "dir" / "sub" / f"f{i}").write_text("ok")
    (context / "link").symlink_to(victim.path)
    (context / "dir" / "sublink").symlink_to(victim.path)
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            _rename_exchange(context, "dir", "link")
            _rename_exchange(context / ("dir" if (context / "dir").is_dir() else "link"), "sub", "sublink")

    t = threading.Thread(target=swap, daemon=True)
    t.start()
    try:
        tid = make_template(provider, "".join(f"COPY dir /d{i}\n" for i in range(40)))
        try:
            provider.wait("image", provider.start("image", {"template_id": tid, "context_dir": str(context)},
                                                  str(uuid.uuid4())), no_progress)
        except ProviderError as e:
            assert e.code == "InvalidCopySource", e  # a swap caught in the act fails the build cleanly
    finally:
        stop.set()
        t.join()
    assert victim.untouched()
    for blob in (provider.store.root / "regions" / "local-1" / "blobs" / "sha256").iterdir():
        assert b"host secret 7d1c0ffee" not in blob.read_bytes()


@needs_sandbox
def test_a_copy_source_that_is_a_pipe_is_refused_at_once(build: Build, context: Path) -> None:
    os.mkfifo(context / "pipe")
    with pytest.raises(ProviderError) as info:
        build("COPY pipe /p\n")
    assert info.value.code == "InvalidCopySource"


@needs_sandbox
def test_a_store_inside_the_configuration_directory_is_not_copied_into_its_own_build(
        tmp_path: Path, context: Path) -> None:
    store = context / "store"  # not a name imgb recognises as its own
    p = LocalProvider(store, "local-1")
    tid = make_template(p, "COPY . /app\n", "RUN test -f /app/files/index.html && test ! -e /app/store")
    img = p.wait("image", p.start("image", {"template_id": tid, "context_dir": str(context)}, "t1"), no_progress)
    assert img["status"] == "Available"


@needs_sandbox
def test_copy_has_a_time_limit(tmp_path: Path, context: Path) -> None:
    many = context / "many"
    many.mkdir()
    for i in range(3000):
        (many / f"f{i}").write_text("x")
    p = LocalProvider(tmp_path / "cloud", "local-1", step_timeout=0.05)
    tid = make_template(p, "COPY many /many\n")
    with pytest.raises(ProviderError) as info:
        p.wait("image", p.start("image", {"template_id": tid, "context_dir": str(context)}, "t1"), no_progress)
    assert info.value.code == "CopyTimeout" and not info.value.retryable


@needs_sandbox
def test_copy_destinations_through_image_links_stay_in_the_image(provider: LocalProvider, build: Build,
                                                                  victim: Victim) -> None:
    image = build(f"RUN ln -s {victim.path} /abs && ln -s ../../../../../../..{victim.path} /rel\n"
                  "COPY files/index.html /abs/a\nCOPY files/index.html /rel/b\nCOPY files /abs/dir/\n"
                  "WORKDIR /abs/wd\n",
                  f"RUN test -f {victim.path}/a && test -f {victim.path}/b && test -d {victim.path}/wd")
    assert image["status"] == "Available" and victim.untouched()


@needs_sandbox
def test_a_full_disk_is_a_final_error_not_a_retry(provider: LocalProvider, build: Build,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A step that fills the disk is stopped while some space is left (IMGB_BUILD_MIN_FREE, here
    # above what the disk has), and the build fails for good: starting it again does not refill it.
    monkeypatch.setenv("IMGB_BUILD_MIN_FREE", str(shutil.disk_usage(provider.store.root).free + (1 << 40)))
    tid = make_template(provider, "RUN dd if=/dev/zero of=/fill bs=1M count=4 && sleep 30")
    desired = {"template_id": tid, "context_dir": None}
    with pytest.raises(ProviderError) as info:
        provider.wait("image", provider.start("image", desired, "fill"), no_progress)
    assert info.value.code == "DiskFull" and not info.value.retryable
    op = provider.start("image", desired, "fill")  # the same token: no second build
    with pytest.raises(ProviderError):
        provider.wait("image", op, no_progress)
    assert provider.store.get_op(op["op"])["attempt"] == 1  # type: ignore[index]


@needs_sandbox
def test_a_file_larger_than_the_operators_limit_cannot_be_written(build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGB_BUILD_FILE_SIZE", "4m")
    with pytest.raises(ProviderError) as info:
        build("RUN dd if=/dev/zero of=/big bs=1M count=8\n")
    assert info.value.code == "CommandFailed"


@needs_sandbox
def test_a_template_cannot_give_itself_network_access(build: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGB_ALLOW_NETWORK", raising=False)
    with pytest.raises(ProviderError) as info:
        build("RUN echo hi\n", internet_max_bandwidth_out=10)
    assert info.value.code == "NetworkNotAllowed" and not info.value.retryable


def _reserve_leaving(path: Path, room: int) -> str:
    """An IMGB_BUILD_MIN_FREE that leaves a build ``room`` bytes of the disk holding ``path``."""
    return str(shutil.disk_usage(path).free - room)


@needs_sandbox
def test_a_sparse_file_cannot_fill_the_disk_when_its_layer_is_written(provider: LocalProvider, build: Build,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A sparse file costs RUN nothing (the step's watchdog sees the disk as it was), but its layer
    # holds every byte: the host side checks the reserve as it writes, and stops in time.
    monkeypatch.setenv("IMGB_BUILD_MIN_FREE", _reserve_leaving(provider.store.root, 256 << 20))
    with pytest.raises(ProviderError) as info:
        build("RUN dd if=/dev/zero of=/sparse bs=1 count=0 seek=1G && ls -ls /sparse\n")
    assert info.value.code == "DiskFull" and not info.value.retryable, info.value
    assert "writing the layer" in str(info.value), info.value
    deadline = time.monotonic() + 20  # the worker removes its work just after it reports
    while list(provider.store.tmp.glob("build-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(provider.store.tmp.glob("build-*")) == []


@needs_sandbox
def test_a_compressed_layer_cannot_unpack_to_more_than_the_disk_holds(provider: LocalProvider, build: Build,
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # 512 MiB of zeros in a layer of a few hundred KiB, unpacked where 128 MiB are left.
    zeros = 512 << 20
    gz = tmp_path / "bomb.tar.gz"
    with tarfile.open(gz, "w:gz", compresslevel=1) as t:
        ti = tarfile.TarInfo("bomb")
        ti.size = zeros
        t.addfile(ti, _Zeros(zeros))  # type: ignore[arg-type]
    bomb = gz.read_bytes()
    assert len(bomb) < zeros // 100
    oci = tmp_path / "oci"
    _write_oci(oci, [_tar(("bin", "dir", 0o755)), bomb])
    import_image(provider.store.root, "local-1", "bomb", f"oci:{oci}")
    monkeypatch.setenv("IMGB_BUILD_MIN_FREE", _reserve_leaving(provider.store.root, 128 << 20))
    with pytest.raises(ProviderError) as info:
        build("RUN true\n", base="bomb")
    assert info.value.code == "DiskFull" and "unpacking the base image" in str(info.value), info.value


class _Zeros(io.RawIOBase):
    def __init__(self, n: int):
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


@needs_sandbox
def test_a_tree_deeper_than_python_can_walk_fails_cleanly_and_leaves_the_store_usable(
        provider: LocalProvider, build: Build) -> None:
    # RUN nests 2,500 directories: the host-side walk overflowed Python's stack (InternalError),
    # and removing the work directory failed the same way, so the leftovers broke every later
    # build of the store (each worker died sweeping them).
    with pytest.raises(ProviderError) as info:
        build('RUN i=0; while [ $i -lt 2500 ]; do mkdir d; cd d; i=$((i+1)); done; echo deep > f\n')
    assert info.value.code == "InvalidTree" and not info.value.retryable, info.value
    deadline = time.monotonic() + 30
    while list(provider.store.tmp.glob("build-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(provider.store.tmp.glob("build-*")) == []
    assert build("RUN echo still-builds > /ok\n")["status"] == "Available"


def test_a_deep_tree_left_by_a_killed_build_is_swept(tmp_path: Path) -> None:
    from imgb.providers.local.builder import sweep_stale_work

    work = tmp_path / "tmp" / "build-killed"
    (work / "rootfs").mkdir(parents=True)
    (work / "lock").touch()
    fd = os.open(work / "rootfs", os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(3000):  # deeper than PATH_MAX allows by name, and than Python's stack
        os.mkdir("d", dir_fd=fd)
        nxt = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    (Path(f"/proc/self/fd/{fd}") / "f").write_text("x")
    os.close(fd)
    sweep_stale_work(tmp_path / "tmp")
    assert not work.exists()


@needs_sandbox
def test_a_step_cannot_use_up_the_file_systems_inodes(provider: LocalProvider, build: Build,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Empty files cost no bytes: the byte reserve never sees a step that makes millions of them.
    # Here the inode reserve leaves the build 30,000 and the step makes 100,000.
    st = os.statvfs(provider.store.root)
    assert st.f_files, "this test needs a file system that counts inodes (ext4, xfs, tmpfs)"
    monkeypatch.setenv("IMGB_BUILD_MIN_FREE_INODES", str(st.f_favail - 30000))
    with pytest.raises(ProviderError) as info:
        build("RUN mkdir /m && cd /m && seq 100000 | xargs touch && sleep 30\n")
    assert info.value.code == "DiskFull" and not info.value.retryable, info.value
    assert "inodes" in str(info.value), info.value


@needs_sandbox
def test_build_steps_run_under_the_filter_imgb_hands_its_workers(build: Build) -> None:
    # imgb compiles the filter once and gives it to each build worker: a RUN of a real build
    # (through the worker, as apply runs it) is refused what the filter refuses.
    image = build("COPY probe /bin/probe\nRUN probe unshare-user > /o; probe keyctl-read >> /o; probe mount >> /o\n",
                  "RUN test \"$(grep -c DENIED /o)\" = 3 && ! grep -q ALLOWED /o")
    assert image["status"] == "Available"
