"""The provider contract, run against the local provider (real sandboxed builds)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from imgb.addresses import Kind
from imgb.providers.contract import PricingContract, ProviderContract, Sample
from imgb.providers.local import LocalProvider
from imgb.providers.local.baseimages import BaseImageError, find_busybox
from imgb.providers.local.sandbox import probe


def _sandbox_reason() -> str | None:
    try:
        find_busybox()
    except BaseImageError as e:
        return str(e)
    return probe()


_REASON = _sandbox_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"no build sandbox here: {_REASON}")


class TestLocalContract(ProviderContract, PricingContract):
    @pytest.fixture
    def regions(self) -> list[str]:
        return ["local-1", "local-2"]

    @pytest.fixture
    def cloud_snapshot(self, provider: LocalProvider) -> Callable[[], object]:
        def tree() -> object:
            root = provider.store.root
            return sorted((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in root.rglob("*")) if root.exists() else []

        return tree

    @pytest.fixture
    def provider(self, tmp_path: Path) -> LocalProvider:
        return LocalProvider(tmp_path / "cloud", "local-1")

    @pytest.fixture
    def fresh_provider(self, provider: LocalProvider) -> LocalProvider:
        return LocalProvider(provider.store.root, provider.region)

    @pytest.fixture
    def sample(self, provider: LocalProvider, tmp_path: Path) -> Sample:
        base = provider.resolve_base_image("busybox", None)

        def make(kind: Kind, made: dict[Kind, dict[str, Any]]) -> dict[str, Any]:
            if kind is Kind.COMPONENT:
                return {"name": "hello", "version": "1.0.0", "type": "Build", "system_type": "Linux",
                        "description": "", "content": "RUN echo hello > /hello\n", "tags": {"t": "1"}}
            if kind is Kind.TEMPLATE:
                return {"name": "t", "base_image": base, "build_content": f"COMPONENT {made[Kind.COMPONENT]['id']}\n",
                        "test_content": "RUN test -f /hello\n", "image_name": "img", "image_family": "fam",
                        "image_tags": {}, "tags": {}}
            if kind is Kind.IMAGE:
                return {"template_id": made[Kind.TEMPLATE]["id"], "content_hash": "h1", "image_name": "img",
                        "image_family": "fam", "image_tags": {}, "tags": {}, "context_dir": str(tmp_path)}
            if kind is Kind.COPY:
                return {"source_image_id": made[Kind.IMAGE]["id"], "source_region": "local-1", "region": "local-2",
                        "image_name": "img", "content_hash": "h1", "tags": {}}
            return {"image_id": made[Kind.COPY]["id"], "region": "local-2", "account": "100000000001"}

        return make
