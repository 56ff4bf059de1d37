"""OCI image layout (image-spec v1.1) on disk: content-addressed blobs, manifests, index.

Each region of the local store is one layout, so ``skopeo inspect oci:<region dir>:<ref>`` and
``umoci`` work on it directly. Blobs are immutable (mode 0444, written once through a temporary
file and ``os.replace``), which is what makes hard-linking them between regions safe.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from imgb.digests import sha256_hex

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
FICLONE = 0x40049409


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace: the same object always hashes the same."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_digest(data: bytes) -> str:
    return "sha256:" + sha256_hex(data)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a torn one."""
    import tempfile  # (with shutil and random: only when something is written, not for a plan's reads)

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        with _suppress_missing():
            os.unlink(tmp)
        raise


def make_dirs(path: Path, mode: int, parents_mode: int = 0o755) -> None:
    """``mkdir -p`` whose new directories get exactly ``mode`` (new parents ``parents_mode``)
    whatever the umask: under a umask of 0 plain mkdir leaves them world-writable, and anyone
    could then swap a store's records or blobs. Existing directories are left as they are."""
    missing = []
    p = path
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        m = mode if d == path else parents_mode
        try:
            os.mkdir(d, m)
        except FileExistsError:
            continue  # made by a concurrent process: its own mkdir set the mode
        os.chmod(d, m)


class _suppress_missing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: object) -> bool:
        return et is not None and issubclass(et, FileNotFoundError)


class CorruptBlob(ValueError):
    """A blob whose content does not match its digest."""


class Layout:
    """One OCI image layout directory."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def blobs(self) -> Path:
        return self.path / "blobs" / "sha256"

    def ensure(self) -> None:
        make_dirs(self.blobs, 0o755)
        marker = self.path / "oci-layout"
        if not marker.exists():
            write_atomic(marker, canonical_json({"imageLayoutVersion": "1.0.0"}))
        if not (self.path / "index.json").exists():
            self.write_index([])

    def blob_path(self, digest: str) -> Path:
        algo, _, hexd = digest.partition(":")
        if algo != "sha256" or len(hexd) != 64 or not all(c in "0123456789abcdef" for c in hexd):
            raise ValueError(f"not a sha256 digest: {digest!r}")
        return self.blobs / hexd

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).exists()

    def put_blob(self, data: bytes) -> tuple[str, int]:
        digest = sha256_digest(data)
        path = self.blob_path(digest)
        if not path.exists():
            write_atomic(path, data, 0o444)
        return digest, len(data)

    def adopt_blob_file(self, tmp_path: Path, digest: str) -> None:
        """Move an already-hashed temporary file into place as blob ``digest``."""
        path = self.blob_path(digest)
        if path.exists():
            os.unlink(tmp_path)
            return
        os.chmod(tmp_path, 0o444)
        os.replace(tmp_path, path)

    def read_blob(self, digest: str) -> bytes:
        """The blob's bytes, checked against its digest (a changed blob is an error, not content)."""
        data = self.blob_path(digest).read_bytes()
        if sha256_digest(data) != digest:
            raise CorruptBlob(f"blob {digest} in {self.path} does not match its digest: the store was changed "
                              "behind imgb's back. Import or build the image again.")
        return data

    def open_blob(self, digest: str) -> IO[bytes]:
        return open(self.blob_path(digest), "rb")

    def read_json(self, digest: str) -> Any:
        return json.loads(self.read_blob(digest))

    # -- index -------------------------------------------------------------------------------
    def read_index(self) -> list[dict[str, Any]]:
        try:
            data = json.loads((self.path / "index.json").read_bytes())
        except FileNotFoundError:
            return []
        return list(data.get("manifests", []))

    def write_index(self, manifests: Iterable[dict[str, Any]]) -> None:
        items = sorted(manifests, key=lambda m: (m.get("annotations", {}).get(REF_NAME, ""), m["digest"]))
        index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": items}
        write_atomic(self.path / "index.json", canonical_json(index))

    def set_ref(self, ref: str, manifest_digest: str, size: int) -> None:
        """Point ``ref`` at a manifest (replacing what it named). Call under the store lock."""
        items = [m for m in self.read_index() if m.get("annotations", {}).get(REF_NAME) != ref]
        items.append(
            {
                "mediaType": MEDIA_MANIFEST,
                "digest": manifest_digest,
                "size": size,
                "annotations": {REF_NAME: ref},
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        )
        self.write_index(items)

    def drop_ref(self, ref: str) -> None:
        items = [m for m in self.read_index() if m.get("annotations", {}).get(REF_NAME) != ref]
        self.write_index(items)

    def ref_digest(self, ref: str) -> str | None:
        for m in self.read_index():
            if m.get("annotations", {}).get(REF_NAME) == ref:
                return str(m["digest"])
        return None

    def manifest_blobs(self, manifest_digest: str) -> list[str]:
        """Every blob a manifest needs, the manifest itself included."""
        manifest = self.read_json(manifest_digest)
        return [manifest_digest, manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]

    def collect_garbage(self) -> int:
        """Remove blobs no index entry reaches; returns how many were removed."""
        live: set[str] = set()
        for m in self.read_index():
            with _suppress_missing():
                try:
                    live.update(self.manifest_blobs(m["digest"]))
                except CorruptBlob:
                    return 0  # what a changed manifest refers to is unknown: remove nothing
        removed = 0
        for p in self.blobs.iterdir():
            if p.name.startswith(".tmp-"):
                continue
            if "sha256:" + p.name not in live:
                p.unlink()
                removed += 1
        return removed


def link_blob(src: Path, dst: Path) -> str:
    """Place blob ``src`` at ``dst``: hard link, else reflink, else byte copy (another file system).
    Returns the method used. Safe because blobs are immutable."""
    if dst.exists():
        return "present"
    try:
        os.link(src, dst)
        return "link"
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EACCES):
            raise
    import shutil
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
    try:
        with open(src, "rb") as s, os.fdopen(fd, "wb") as d:
            try:
                fcntl.ioctl(d.fileno(), FICLONE, s.fileno())
                method = "reflink"
            except OSError:
                shutil.copyfileobj(s, d, 1 << 20)
                method = "copy"
        os.chmod(tmp, 0o444)
        os.replace(tmp, dst)
    except BaseException:
        with _suppress_missing():
            os.unlink(tmp)
        raise
    return method
