"""Base images: the built-in ``scratch`` and ``busybox``, and imports of user-supplied ones.

``busybox`` is made from the host's static busybox (Debian ``busybox-static``), materialised on
first use in a region and then reused. Imports accept a rootfs directory or tarball, an OCI layout
(``oci:DIR[:tag]``) or a ``docker save`` archive (``docker-archive:FILE``, or a .tar holding
manifest.json).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imgb import fsops
from imgb.providers.local import layers
from imgb.providers.local.oci import (
    MEDIA_LAYER,
    MEDIA_LAYER_GZIP,
    MEDIA_MANIFEST,
    REF_NAME,
    Layout,
)
from imgb.providers.local.store import Store

BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EPOCH = 0


class BaseImageError(Exception):
    """A base image could not be made or imported; the message says how to fix it."""


def base_config(diff_ids: list[str], *, cmd: list[str] | None = None) -> dict[str, Any]:
    cfg: dict[str, Any] = {"Env": [f"PATH={DEFAULT_PATH}"]}
    if cmd:
        cfg["Cmd"] = cmd
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "imgb base image"}] if diff_ids else [],
    }


def find_busybox() -> str:
    for p in (shutil.which("busybox"), *BUSYBOX_CANDIDATES):
        if p and os.path.isfile(p) and _is_static(p):
            return p
    raise BaseImageError(
        "The busybox base image needs a statically linked busybox on the host, and none was found "
        "in PATH, /bin or /usr/bin. Install it with `apt-get install busybox-static` (Debian, Ubuntu), "
        "or import another base image with `imgb image import NAME SRC`."
    )


def _is_static(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(65536)
    return head[:4] == b"\x7fELF" and b"ld-linux" not in head and b"/lib/ld-" not in head


def make_busybox_rootfs(dest: str) -> None:
    bb = find_busybox()
    listing = subprocess.run([bb, "--list-full"], capture_output=True, text=True, check=True).stdout.split()
    for d, mode in (("bin", 0o755), ("sbin", 0o755), ("usr/bin", 0o755), ("usr/sbin", 0o755), ("etc", 0o755),
                    ("proc", 0o555), ("sys", 0o555), ("dev", 0o755), ("home", 0o755), ("root", 0o700),
                    ("tmp", 0o1777), ("var/tmp", 0o1777)):
        os.makedirs(os.path.join(dest, d), exist_ok=True)
        os.chmod(os.path.join(dest, d), mode)
    shutil.copyfile(bb, os.path.join(dest, "bin/busybox"))
    os.chmod(os.path.join(dest, "bin/busybox"), 0o755)
    for applet in sorted(set(listing)):
        target = os.path.join(dest, applet)
        if applet == "bin/busybox" or os.path.lexists(target):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink("/bin/busybox", target)
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        "etc/group": "root:x:0:\nnogroup:x:65534:\n",
        "etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
        "etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
        "etc/resolv.conf": "",
    }
    for rel, text in files.items():
        with open(os.path.join(dest, rel), "w") as f:
            f.write(text)
        os.chmod(os.path.join(dest, rel), 0o644)


def _tar_tree_into(store: Store, tree: str, *, root_owned: bool,
                   devices: Sequence[tarfile.TarInfo] = ()) -> tuple[str, int, Path]:
    """Tar a whole tree deterministically into a temporary file; (digest, size, tmp path).
    ``devices``: device nodes of the source, recorded without ever being made on the host."""
    snap = layers.snapshot(tree)
    fd, tmp = tempfile.mkstemp(dir=store.tmp, prefix="layer-")
    with os.fdopen(fd, "wb") as f:
        info = layers.write_layer(tree, layers.all_paths(snap), [], f, epoch=EPOCH,
                                  uid_map=(lambda _id: 0) if root_owned else None, extra=devices)
    return info.digest, info.size, Path(tmp)


def _commit_single_layer(store: Store, region: str, name: str, tree: str | None, *, root_owned: bool,
                         cmd: list[str] | None, source: str,
                         devices: Sequence[tarfile.TarInfo] = ()) -> dict[str, Any]:
    layer_list: list[tuple[str, int, str]] = []
    tmp: Path | None = None
    if tree is not None:
        digest, size, tmp = _tar_tree_into(store, tree, root_owned=root_owned, devices=devices)
        layer_list.append((digest, size, MEDIA_LAYER))
    with store.lock():
        lay = store.layout(region)
        if tmp is not None:
            lay.adopt_blob_file(tmp, layer_list[0][0])
        config = base_config([d for d, _, _ in layer_list], cmd=cmd)
        mdigest, _ = store.write_manifest(region, layer_list, config, {"io.imgb.base": name})
        return store.add_image(region, mdigest, {"name": name, "family": None, "tags": {}, "source": source,
                                                 "content_hash": None, "template_id": None})


def ensure_builtin(store: Store, region: str, name: str) -> dict[str, Any]:
    """The record of built-in base image ``name`` in ``region``, made on first use."""
    for rec in store.records(region, "images"):
        if rec.get("name") == name and rec.get("source") == "builtin":
            return rec
    if name == "scratch":
        return _commit_single_layer(store, region, name, None, root_owned=True, cmd=None, source="builtin")
    with tempfile.TemporaryDirectory(dir=store.tmp, prefix="busybox-") as d:
        make_busybox_rootfs(d)
        return _commit_single_layer(store, region, name, d, root_owned=True, cmd=["sh"], source="builtin")


# -- imports ------------------------------------------------------------------------------------


def import_image(root: str | os.PathLike[str], region: str, name: str, src: str) -> dict[str, Any]:
    """Import a base image named ``name`` into ``region`` of the store at ``root``; returns its
    record (id, name, ...). ``src``: a rootfs directory or tarball, ``oci:DIR[:tag]``, or
    ``docker-archive:FILE`` (a plain .tar holding manifest.json is detected as one too)."""
    store = Store(root)
    if src.startswith("oci:"):
        path, _, tag = src[4:].partition(":")
        return _import_oci(store, region, name, Path(path), tag or None)
    if src.startswith("docker-archive:"):
        return _import_docker(store, region, name, Path(src[len("docker-archive:"):]))
    p = Path(src)
    if p.is_dir():
        return _commit_single_layer(store, region, name, str(p), root_owned=False, cmd=None, source=f"import:{src}")
    if not p.is_file():
        raise BaseImageError(f"{src}: no such file or directory. Give a rootfs directory or tarball, oci:DIR[:tag] "
                             "or docker-archive:FILE.")
    if tarfile.is_tarfile(p):
        with tarfile.open(p) as t:
            if "manifest.json" in t.getnames():
                return _import_docker(store, region, name, p)
    with tempfile.TemporaryDirectory(dir=store.tmp, prefix="import-") as d:
        try:
            got = layers.extract_file(p, d)
        except (tarfile.TarError, layers.UnsafeEntry) as e:
            raise BaseImageError(f"{src} is not a usable rootfs tarball: {e}") from e
        return _commit_single_layer(store, region, name, d, root_owned=False, cmd=None, source=f"import:{src}",
                                    devices=got.devices)


def _copy_verified(layout: Path, digest: str, store: Store) -> Path:
    """Copy blob ``digest`` of the layout at ``layout`` into the store's scratch space, checking
    its digest on the way; returns the copy. A copy, never a link: the layout's owner could
    rewrite a linked blob after the import. Opened below the layout through no symlink."""
    hexd = Layout(layout).blob_path(digest).name
    top = os.open(layout, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        src = fsops.open_beneath(top, f"blobs/sha256/{hexd}", os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise BaseImageError(f"oci:{layout}: blob {digest} cannot be read ({e.strerror}); it must be a regular "
                             "file inside the layout, not a symlink") from e
    finally:
        os.close(top)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=store.tmp, prefix="blob-")
    try:
        with os.fdopen(src, "rb") as f, os.fdopen(fd, "wb") as out:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise BaseImageError(f"oci:{layout}: blob {digest} is not a regular file")
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(tmp)
        raise
    if "sha256:" + h.hexdigest() != digest:
        os.unlink(tmp)
        raise BaseImageError(f"oci:{layout}: blob {digest} does not match its digest: the layout is corrupt")
    return Path(tmp)


def _import_oci(store: Store, region: str, name: str, path: Path, tag: str | None) -> dict[str, Any]:
    src = Layout(path)
    manifests = [m for m in src.read_index() if m.get("mediaType", MEDIA_MANIFEST) == MEDIA_MANIFEST]
    if tag:
        manifests = [m for m in manifests if m.get("annotations", {}).get(REF_NAME) == tag]
    if len(manifests) != 1:
        tags = sorted(m.get("annotations", {}).get(REF_NAME, "?") for m in src.read_index())
        raise BaseImageError(f"oci:{path}: expected exactly one image{' tagged ' + tag if tag else ''}; "
                             f"found {len(manifests)} (tags: {', '.join(tags) or 'none'}). Use oci:DIR:TAG.")
    mdigest = manifests[0]["digest"]
    copies: dict[str, Path] = {}
    try:
        copies[mdigest] = _copy_verified(path, mdigest, store)
        manifest = json.loads(copies[mdigest].read_bytes())
        for d in [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]:
            if d not in copies:
                copies[d] = _copy_verified(path, d, store)
    except BaseException:
        for tmp in copies.values():
            tmp.unlink(missing_ok=True)
        raise
    with store.lock():
        lay = store.layout(region)
        for d, tmp in copies.items():
            lay.adopt_blob_file(tmp, d)
        return store.add_image(region, mdigest, {"name": name, "family": None, "tags": {}, "content_hash": None,
                                                 "template_id": None, "source": f"import:oci:{path}"})


def _import_docker(store: Store, region: str, name: str, path: Path) -> dict[str, Any]:
    with tarfile.open(path) as t:
        member = t.extractfile("manifest.json")
        if member is None:
            raise BaseImageError(f"{path}: no manifest.json; this is not a `docker save` archive")
        entries = json.load(member)
        if len(entries) != 1:
            raise BaseImageError(f"{path}: holds {len(entries)} images; save exactly one")
        entry = entries[0]
        cfg_file = t.extractfile(entry["Config"])
        assert cfg_file is not None
        docker_cfg = json.load(cfg_file)
        layer_list: list[tuple[str, int, str]] = []
        tmps: list[tuple[Path, str]] = []
        for lp in entry["Layers"]:
            f = t.extractfile(lp)
            if f is None:
                raise BaseImageError(f"{path}: layer {lp} is missing")
            fd, tmp = tempfile.mkstemp(dir=store.tmp, prefix="layer-")
            h = hashlib.sha256()
            n = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda f=f: f.read(1 << 20), b""):  # type: ignore[misc]
                    h.update(chunk)
                    n += len(chunk)
                    out.write(chunk)
            with open(tmp, "rb") as probe:
                gz = probe.read(2) == b"\x1f\x8b"
            digest = "sha256:" + h.hexdigest()
            layer_list.append((digest, n, MEDIA_LAYER_GZIP if gz else MEDIA_LAYER))
            tmps.append((Path(tmp), digest))
    config = {
        "architecture": docker_cfg.get("architecture", "amd64"),
        "os": docker_cfg.get("os", "linux"),
        "created": docker_cfg.get("created", "1970-01-01T00:00:00Z"),
        "config": docker_cfg.get("config") or {},
        "rootfs": docker_cfg.get("rootfs") or {"type": "layers", "diff_ids": [d for d, _, _ in layer_list]},
        "history": docker_cfg.get("history", []),
    }
    with store.lock():
        lay = store.layout(region)
        for tmp_path, digest in tmps:
            lay.adopt_blob_file(tmp_path, digest)
        mdigest, _ = store.write_manifest(region, layer_list, config)
        return store.add_image(region, mdigest, {"name": name, "family": None, "tags": {}, "content_hash": None,
                                                 "template_id": None, "source": f"import:docker-archive:{path}"})
