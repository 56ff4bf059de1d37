"""Image paths as words: ``clean_parts`` applies ``.`` and ``..`` lexically, clamped at the root.

Resolving them in a tree (links included) is the kernel's job, by file descriptor: see fsops.
"""

from __future__ import annotations


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

