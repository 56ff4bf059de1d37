"""The behavioural comparison: every corpus Dockerfile that builds offline (its runnable variant,
runnable.py) is built by the reference builder (buildah) and, translated by imgb import-dockerfile,
by imgb's local provider; the two file trees (paths, types, modes, owners, contents, link
targets) and the image configurations (environment, working directory, user, labels, command,
entrypoint) must be the same. BUILD in each case says whether it is buildable and why not.

By default a spread of IMGB_DOCKERFILE_BUILDS cases (8) runs; IMGB_DOCKERFILE_BUILDS=all runs
every buildable one (about 15 minutes here)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.dockerfile_import.corpus_cases import CASES, build_status, import_case, prepare_context
from tests.dockerfile_import.reference import Workbench, buildah_available, config_differences, differences
from tests.dockerfile_import.runnable import runnable
from tests.dockerfile_import.translation import component_content

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

BUILDABLE = [c for c in CASES if build_status(c).startswith("buildable")]
FILES_ONLY = "buildable (files only"
"""The reference's configuration is known to differ from BuildKit's there (the reason follows)."""


def _selected() -> list[str]:
    want = os.environ.get("IMGB_DOCKERFILE_BUILDS", "8")
    if want == "all" or not BUILDABLE:
        return BUILDABLE
    n = max(1, int(want))
    step = max(1, len(BUILDABLE) // n)
    return BUILDABLE[::step][:n]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    # CI installs buildah (.ci/install): its absence is a broken set-up, not a reason to skip.
    assert buildah_available(), "buildah is needed as the reference builder: install it (.ci/install) and run as root"
    return Workbench(tmp_path_factory.mktemp("dockerfile-bench"))


def test_every_case_is_classified() -> None:
    unclassified = [c for c in CASES if build_status(c) == "not classified"]
    assert not unclassified, f"run corpus_tool.py classify on {unclassified}"
    assert len(BUILDABLE) >= 50


@pytest.mark.parametrize("case", _selected())
def test_translation_builds_the_same_files(case: str, bench: Workbench, tmp_path: Path) -> None:
    assert compare(bench, case, tmp_path, config=not build_status(case).startswith(FILES_ONLY)) == []


def compare(bench: Workbench, case: str, tmp_path: Path, *, config: bool = True) -> list[str]:
    """Differences between the reference's and imgb's trees for ``case`` (raises when either
    build fails: a case marked buildable builds)."""
    from tests.dockerfile_import.corpus_cases import CORPUS

    tmp_path.mkdir(parents=True, exist_ok=True)
    text = (CORPUS / case / "Dockerfile").read_text(encoding="utf-8")
    variant, why = runnable(text)
    assert variant is not None, why
    context = prepare_context(case, tmp_path / "context") or (tmp_path / "context")
    context.mkdir(exist_ok=True)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(variant)
    ref, ours = tmp_path / "reference", tmp_path / "imgb"
    ref.mkdir()
    ours.mkdir()
    ref_config = bench.reference.build(dockerfile, context.resolve(), ref, re.sub(r"[^a-z0-9]+", "-", case.lower()))
    result = import_case(case, context, text=variant)
    assert result.hcl is not None, [d.summary for d in result.diagnostics.items]
    our_config = bench.imgb.build(component_content(result.hcl), context.resolve(), ours)
    return differences(ref, ours) + (config_differences(ref_config, our_config) if config else [])
