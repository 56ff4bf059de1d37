"""Every ```hcl snippet of README.md and docs/*.md is a configuration that imgb validates.

Each snippet is written as ``main.imgb.hcl`` into an empty directory and checked by the same code
as ``imgb validate`` (``imgb.reconciler.validate.validate_directory``). Files the snippet reads
(``file()``, ``templatefile()``, ``filesha256()``, ``COPY`` sources) come from ``<!-- file: PATH -->``
blocks of the same document, or else are created as small stubs. Fragments (``hcl-fragment``, or
``<!-- fragment -->``) only have to parse. The directives are described in ``fences.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imgb.reconciler.config.hcl import parse
from imgb.reconciler.validate import validate_directory
from tests.docs.fences import Fence, all_fences

FENCES = all_fences()
HCL = [f for f in FENCES if f.info in ("hcl", "hcl-fragment") and f.file is None]
FILES: dict[str, dict[str, str]] = {}
for _f in FENCES:
    if _f.file is not None:
        FILES.setdefault(_f.doc, {})[_f.file] = _f.text

_PATH_CALL_RE = re.compile(r'\b(?:file|templatefile|filesha256)\(\s*"([^"$]+)"')
_COPY_RE = re.compile(r"^\s*COPY\s+(.+?)\s*$", re.MULTILINE)
_STUB_YAML = "Tasks:\n  - Name: stub\n    Action: RunShellCommand\n    Properties:\n      commandContent: \"true\"\n"


def _stub(path: str) -> str:
    if path.endswith((".yaml", ".yml")):
        return _STUB_YAML
    if path.endswith((".dockerfile", ".tpl", ".tftpl")) or "components/" in path:
        return "RUN true\n"
    return "stub file of a documentation snippet\n"


def _referenced_paths(text: str) -> set[str]:
    paths = set(_PATH_CALL_RE.findall(text))
    for m in _COPY_RE.finditer(text):
        words = m.group(1).split()
        paths.update(w for w in words[:-1] if not w.startswith(("http://", "https://", "--", "[")))
    return paths


def _write_directory(fence: Fence, directory: Path) -> None:
    files = dict(FILES.get(fence.doc, {}))
    for path in _referenced_paths(fence.text) | {p for t in files.values() for p in _referenced_paths(t)}:
        if not path.startswith(("/", "..")):  # a path leaving the directory is the snippet's point
            files.setdefault(path, _stub(path))
    for rel, text in files.items():
        target = directory / rel
        if rel.endswith("/"):  # COPY of a directory
            target.mkdir(parents=True, exist_ok=True)
            target = target / "stub.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (directory / "main.imgb.hcl").write_text(fence.text)


def test_the_documentation_has_snippets() -> None:
    docs = {f.doc for f in HCL}
    assert len(HCL) >= 30, f"only {len(HCL)} hcl snippets found in {sorted(docs)}"
    assert "docs/language.md" in docs and "README.md" in docs


def test_fence_languages_are_spelled_right() -> None:
    """A typo in the info string would silently skip a snippet."""
    bad = [f.id for f in FENCES if f.info.startswith("hcl") and f.info not in ("hcl", "hcl-fragment")]
    assert not bad, f"unknown hcl fence info strings at {bad}; use hcl or hcl-fragment"


@pytest.mark.parametrize("fence", HCL, ids=[f.id for f in HCL])
def test_snippet(fence: Fence, tmp_path: Path) -> None:
    if fence.fragment:
        _, problems = parse(fence.text, "main.imgb.hcl")
        assert not problems, f"{fence.id}: the fragment does not parse: {[d.summary for d in problems]}"
        return
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    _write_directory(fence, config_dir)
    _, diags = validate_directory(config_dir, env={"IMGB_CACHE_DIR": str(tmp_path / "cache")})
    got = sorted((str(d.severity), d.summary) for d in diags)
    details = "\n".join(f"  {d.severity}: {d.summary}: {d.detail} ({d.pos})" for d in diags)
    assert got == sorted(fence.expected), f"{fence.id}: validation reported\n{details or '  nothing'}"


@pytest.mark.parametrize("doc", sorted(FILES), ids=sorted(FILES))
def test_file_blocks_are_used(doc: str) -> None:
    """A <!-- file: --> block that no snippet reads is probably a typo in its path."""
    texts = [f.text for f in HCL if f.doc == doc] + list(FILES[doc].values())
    used = set().union(*(_referenced_paths(t) for t in texts))
    unused = [p for p in FILES[doc] if p not in used and not p.endswith(".imgbvars.hcl")]
    assert not unused, f"{doc}: file blocks no snippet reads: {unused}"
