"""Relative links in README.md and docs/*.md lead somewhere: the file exists, and a #fragment names
a heading of it (GitHub's anchor rules)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.fences import ROOT, documents

_LINK_RE = re.compile(r"\]\(([^)\s]+)\)")
_HEADING_RE = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _without_code(text: str) -> str:
    """The text outside fenced blocks: a line starting with # in a shell snippet is no heading."""
    return re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.MULTILINE | re.DOTALL)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, -1 for repeats."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for heading in _HEADING_RE.findall(_without_code(path.read_text(encoding="utf-8"))):
        text = re.sub(r"`|\*\*|\[([^]]*)\]\([^)]*\)", r"\1", heading).lower()
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _links() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for doc in documents():
        for target in _LINK_RE.findall(_without_code(doc.read_text(encoding="utf-8"))):
            if not re.match(r"^[a-z]+:", target):  # http:, https:, mailto: are not checked here
                out.append((doc.relative_to(ROOT).as_posix(), target))
    return out


LINKS = _links()


@pytest.mark.parametrize(("doc", "target"), LINKS, ids=[f"{d}->{t}" for d, t in LINKS])
def test_relative_link_resolves(doc: str, target: str) -> None:
    path_part, _, fragment = target.partition("#")
    source = ROOT / doc
    path = (source.parent / path_part).resolve() if path_part else source
    assert path.exists(), f"{doc} links to {target}, which does not exist"
    if fragment and path.suffix == ".md":
        assert fragment in anchors(path), f"{doc} links to {target}, but {path.name} has no heading #{fragment}"
