"""The provider and backend contract suites against imgb's test-only plugins (tests/plugins), opened
the way imgb opens any provider or backend: by block type, through the entry points."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgb import plugins
from imgb.addresses import Kind
from imgb.providers.base import Provider, ProviderType
from imgb.providers.contract import ProviderContract, Sample
from imgb.state.contract import CHECKS, BackendTarget

pytestmark = pytest.mark.usefixtures("test_plugins")


def dircloud(root: Path) -> Provider:
    kind = plugins.provider_class("dircloud")
    assert isinstance(kind, ProviderType), "tests/plugins registers dircloud as an imgb.providers entry point"
    return kind.open("dc-1", {"root": str(root)}, root.parent)


class TestDirCloudContract(ProviderContract):
    @pytest.fixture
    def provider(self, tmp_path: Path) -> Provider:
        return dircloud(tmp_path / "cloud")

    @pytest.fixture
    def fresh_provider(self, tmp_path: Path) -> Provider:
        return dircloud(tmp_path / "cloud")

    @pytest.fixture
    def sample(self) -> Sample:
        def make(kind: Kind, made: dict[Kind, dict[str, Any]]) -> dict[str, Any]:
            if kind is Kind.COMPONENT:
                return {"name": "hello", "version": "1.0.0", "content": "RUN echo hello\n", "tags": {}}
            if kind is Kind.TEMPLATE:
                return {"name": "t", "base_image": "base-x", "build_content": f"COMPONENT {made[Kind.COMPONENT]['id']}\n"}
            if kind is Kind.IMAGE:
                return {"template_id": made[Kind.TEMPLATE]["id"], "content_hash": "h1", "image_name": "img"}
            if kind is Kind.COPY:
                return {"source_image_id": made[Kind.IMAGE]["id"], "source_region": "dc-1", "region": "dc-2",
                        "content_hash": "h1"}
            return {"image_id": made[Kind.COPY]["id"], "region": "dc-2", "account": "100000000001"}

        return make


@pytest.fixture
def sqlite_target(tmp_path: Path) -> Iterator[BackendTarget]:
    target = BackendTarget({"type": "sqlite", "path": str(tmp_path / "state.db")})
    yield target
    target.close()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_sqlite_backend(name: str, sqlite_target: BackendTarget) -> None:
    CHECKS[name](sqlite_target)
