"""Resolve a path inside an image's root directory the way the kernel would after a chroot.

Every host-side operation on an image tree (layer extraction, COPY, cleanup) goes through
``resolve_in_root``: symlinks are followed, but an absolute target restarts at the image root
and ``..`` never climbs above it, so a hostile base image cannot make the host write outside.
Builds are sequential and no sandboxed process is alive while the host touches the tree, so no
process inside can race the resolution.
"""

from __future__ import annotations

import os
import stat

MAX_SYMLINKS = 40


class PathEscape(ValueError):
    """A path could not be resolved inside its root (too many symlinks, or not a directory)."""


def clean_parts(path: str) -> list[str]:
    """The components of ``path`` relative to the root, with ``.``/``..`` applied lexically and
    clamped at the root (``/../../etc`` is ``etc``)."""
    parts: list[str] = []
    for p in path.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return parts


def resolve_in_root(root: str, path: str, *, follow_final: bool = True) -> str:
    """The host path of ``path`` (absolute or relative to the image's /) inside ``root``.

    With ``follow_final=False`` the last component is not resolved when it is a symlink (the
    caller replaces or creates that entry itself, with ``O_NOFOLLOW``).
    """
    root = os.path.abspath(root)
    pending = clean_parts(path)
    resolved: list[str] = []
    hops = 0
    while pending:
        name = pending.pop(0)
        if name == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, name)
        is_final = not pending
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            resolved.append(name)
            continue
        if stat.S_ISLNK(st.st_mode) and (follow_final or not is_final):
            hops += 1
            if hops > MAX_SYMLINKS:
                raise PathEscape(f"too many levels of symbolic links resolving {path!r}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            # Keep ".." markers so they are applied against the resolved prefix, clamped at root.
            pending = [p for p in target.split("/") if p not in ("", ".")] + pending
            continue
        resolved.append(name)
    return os.path.join(root, *resolved)


def relative_to_root(root: str, host_path: str) -> str:
    """The image path ("/etc/passwd") of a host path inside ``root``."""
    rel = os.path.relpath(host_path, os.path.abspath(root))
    return "/" if rel == "." else "/" + rel
