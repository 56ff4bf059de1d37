"""The corpus: one directory per Dockerfile, with where it comes from (SOURCE), the files its
COPY/ADD name (context/, modes in context.modes), BuildKit's parse where known (parse.expected),
the golden import (expected.imgb.hcl, expected.diagnostics.txt) and whether it builds with the
reference builder (BUILD)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from imgb.reconciler.dockerfile_import import BuildContext, ImportResult, Options, import_dockerfile

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/Dockerfile"))
SYNTHETIC = "written for imgb"
PLATFORM = "linux/amd64"


def is_real(case: str) -> bool:
    return SYNTHETIC not in (CORPUS / case / "SOURCE").read_text()


def prepare_context(case: str, dest: Path) -> Path | None:
    """A copy of the case's build context with the modes git does not keep; None without one."""
    src = CORPUS / case / "context"
    if not src.is_dir():
        return None
    shutil.copytree(src, dest, symlinks=True)
    modes = CORPUS / case / "context.modes"
    if modes.exists():
        for line in modes.read_text().splitlines():
            mode, rel = line.split(" ", 1)
            os.chmod(dest / rel, int(mode, 8))
    return dest


def import_case(case: str, context: Path | None, text: str | None = None) -> ImportResult:
    d = CORPUS / case
    options = Options(platform=PLATFORM, build_platform=PLATFORM)
    if context is not None:
        options.context = BuildContext.load(context.resolve())
    source = text if text is not None else (d / "Dockerfile").read_text(encoding="utf-8")
    return import_dockerfile(source, "Dockerfile", name=_name(case), template=True, options=options)


def _name(case: str) -> str:
    name = case[:64]
    return name if name[0].isalpha() else "x" + name[:63]


def build_status(case: str) -> str:
    p = CORPUS / case / "BUILD"
    return p.read_text().strip() if p.exists() else "not classified"
