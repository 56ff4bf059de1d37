"""COPY sources: where they really are, and what they contain.

A COPY source is a path relative to the configuration directory and may not leave it, neither
with ``..`` nor through a symlink. The checks report violations, the planner hashes what
``copy_inputs`` lists, and the local builder reads the files through ``resolve_context_path``.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from imgb import digests


class ContextPathError(ValueError):
    """A COPY source that cannot be used; the message is a full sentence for the user."""


# imgb's own files in a configuration directory (the .gitignore list of docs/gitops.md). They
# change with every plan and apply, so copying them would rebuild the image every time, and the
# local store may be the very directory a build writes into: a directory COPY leaves them out
# and a COPY naming one is refused.
IMGB_OWN_NAMES = frozenset({".imgb", "imgb.state.d", "imgb-debug.log", "imgb.plan"})


def is_imgb_own(name: str) -> bool:
    """Is ``name``, an entry at the top of the configuration directory, one of imgb's own files?"""
    return name in IMGB_OWN_NAMES or name.startswith("imgb.state.json") or name.endswith(".imgbplan")


def is_url(src: str) -> bool:
    """COPY of a network file: fetched by the build instance, not read from the directory."""
    return src.startswith(("http://", "https://"))


def resolve_context_path(context_dir: Path, src: str) -> Path:
    """The real path of COPY source ``src`` inside ``context_dir``.

    Raises ContextPathError for absolute paths, ``..`` escapes, symlinks that resolve outside
    the directory, and missing files.
    """
    if not src:
        raise ContextPathError("The COPY source is empty.")
    if PurePosixPath(src).is_absolute() or PureWindowsPath(src).is_absolute() or PureWindowsPath(src).drive:
        raise ContextPathError(
            f'COPY source "{src}" is an absolute path. Sources are read from the configuration directory: '
            "give a path relative to it, and put the file inside it."
        )
    normal = posixpath.normpath(src.replace("\\", "/"))
    if normal == ".." or normal.startswith("../"):
        raise ContextPathError(
            f'COPY source "{src}" leaves the configuration directory. Sources must be inside it: '
            "move or copy the file into the directory and refer to it with a relative path."
        )
    if is_imgb_own(normal.split("/")[0]):
        raise ContextPathError(
            f'COPY source "{src}" is imgb\'s own working data (the local store, state, saved plans or the '
            "debug log), which changes with every apply. Copy your own files instead."
        )
    root = context_dir.resolve()
    candidate = root / normal
    if not os.path.lexists(candidate):
        raise ContextPathError(
            f'COPY source "{src}" does not exist in the configuration directory {root}. '
            "Create it, or fix the path (it is relative to the configuration directory)."
        )
    real = candidate.resolve()
    if not _is_within(real, root):
        raise ContextPathError(
            f'COPY source "{src}" is a symlink (or lies under one) that resolves outside the configuration '
            "directory. Sources may not leave the directory: copy the file into it instead of linking."
        )
    if not real.exists():
        raise ContextPathError(
            f'COPY source "{src}" is a symlink to a file that does not exist. Fix or remove the symlink.'
        )
    return real


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def copy_inputs(context_dir: Path, sources: Iterable[str]) -> list[tuple[str, str]]:
    """(relative path, sha256) of every file the COPY sources read, sorted and de-duplicated.

    Directories are walked recursively without following symlinks; a symlink inside a copied
    directory is copied as a link, so its target text is what gets hashed (prefixed with
    "symlink:", so a link and a file holding the same text differ). URLs are skipped
    (the build fetches them). Raises ContextPathError like ``resolve_context_path``.
    """
    root = context_dir.resolve()
    found: dict[str, str] = {}
    for src in sources:
        if is_url(src):
            continue
        real = resolve_context_path(context_dir, src)
        if real.is_dir():
            for dirpath, dirnames, filenames in os.walk(real, followlinks=False):
                if Path(dirpath) == root:
                    dirnames[:] = [d for d in dirnames if not is_imgb_own(d)]
                    filenames = [f for f in filenames if not is_imgb_own(f)]
                dirnames.sort()
                for name in sorted(
                    filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
                ):
                    path = Path(dirpath) / name
                    digest = _digest(path)
                    if digest is not None:
                        found[path.relative_to(root).as_posix()] = digest
        else:
            digest = _digest(real)
            if digest is not None:
                found[real.relative_to(root).as_posix()] = digest
    return sorted(found.items())


DIGESTS: dict[tuple[int, int, int, int, int], str] = {}
"""sha256 of files already read by this process, by (device, inode, size, mtime, ctime): a plan
needs each COPY source's digest twice (the image's content hash, and the files a saved plan
records), and a large file should be read once. Any write changes the ctime, so an entry never
answers for changed bytes."""


def _digest(path: Path) -> str | None:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return digests.sha256(b"symlink:" + os.fsencode(os.readlink(path))).hexdigest()
    if not stat.S_ISREG(st.st_mode):
        return None  # sockets, fifos and devices are not copied
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    known = DIGESTS.get(key)
    if known is not None:
        return known
    with open(path, "rb") as f:
        digest = sha256_file(f)
        after = os.fstat(f.fileno())
    if (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns) == key:
        if len(DIGESTS) > 100_000:  # a long-lived process (the tests) never grows without bound
            DIGESTS.clear()
        DIGESTS[key] = digest
    return digest


def sha256_file(f: BinaryIO) -> str:
    return digests.sha256_file(f, os.fstat(f.fileno()).st_size)
