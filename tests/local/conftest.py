"""Fixtures for the local provider's tests: a throwaway store and a helper that builds images."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from imgb.providers.base import no_progress
from imgb.providers.local import LocalProvider
from imgb.providers.local.baseimages import BaseImageError, find_busybox
from imgb.providers.local.sandbox import probe


def _sandbox_reason() -> str | None:
    try:
        find_busybox()
    except BaseImageError as e:
        return str(e)
    return probe()


SANDBOX_REASON = _sandbox_reason()
needs_sandbox = pytest.mark.skipif(SANDBOX_REASON is not None, reason=f"no build sandbox here: {SANDBOX_REASON}")

Build = Callable[..., dict[str, Any]]


@pytest.fixture
def provider(tmp_path: Path) -> LocalProvider:
    return LocalProvider(tmp_path / "cloud", "local-1")


@pytest.fixture
def context(tmp_path: Path) -> Path:
    ctx = tmp_path / "config"
    (ctx / "files").mkdir(parents=True)
    (ctx / "files" / "index.html").write_text("<h1>hello</h1>\n")
    return ctx


def make_template(provider: LocalProvider, build: str, test: str = "", base: str = "busybox", **extra: Any) -> str:
    base_id = provider.resolve_base_image(base, None)
    desired = {"name": "t", "base_image": base_id, "build_content": build, "test_content": test,
               "image_name": "img", "image_family": "fam", **extra}
    return str(provider.wait("template", provider.start("template", desired, str(uuid.uuid4())), no_progress)["id"])


@pytest.fixture
def build(provider: LocalProvider, context: Path) -> Build:
    """build(build_content, test_content="", base="busybox", **template attrs) -> image attributes."""

    def run(build_content: str, test_content: str = "", base: str = "busybox", **extra: Any) -> dict[str, Any]:
        tid = make_template(provider, build_content, test_content, base, **extra)
        desired = {"template_id": tid, "content_hash": "h", "image_name": "img", "image_family": "fam",
                   "image_tags": {}, "tags": {}, "context_dir": str(context)}
        return provider.wait("image", provider.start("image", desired, str(uuid.uuid4())), no_progress)

    return run
