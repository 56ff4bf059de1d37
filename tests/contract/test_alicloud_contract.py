"""The provider contract, run against the alicloud provider and the ECS Image Builder emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from imgb.addresses import Kind
from imgb.providers.alicloud import AlicloudProvider, static_credentials
from imgb.providers.contract import (
    LeftoversContract,
    PricingContract,
    PricingFailureContract,
    ProviderContract,
    Sample,
)
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator

HOME = "cn-hangzhou"
BASE_IMAGE = "ubuntu_22_04_x64_20G_alibase_20240520.vhd"


def _provider(emulator: Emulator) -> AlicloudProvider:
    return AlicloudProvider(HOME, endpoint=emulator.endpoint, protocol="http", poll_interval=0.01,
                            credentials=static_credentials(TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET))


class TestAlicloudContract(ProviderContract, PricingContract, PricingFailureContract, LeftoversContract):
    @pytest.fixture
    def regions(self) -> list[str]:
        return [HOME, "cn-shanghai", "ap-southeast-1"]

    @pytest.fixture
    def cloud_snapshot(self, emulator: Emulator) -> Callable[[], object]:
        # Pricing may read (DescribePrice) but never call anything that creates or changes.
        return lambda: sorted({e.action for e in emulator.log} - {"DescribePrice"})

    @pytest.fixture
    def unpriceable(self, emulator: Emulator) -> Callable[[], None]:
        def forbid() -> None:
            emulator.world.price_forbidden = True

        return forbid

    @pytest.fixture
    def emulator(self) -> Iterator[Emulator]:
        with Emulator(seed=1, phase_seconds=0.01, copy_seconds=0.01) as em:
            yield em

    @pytest.fixture
    def provider(self, emulator: Emulator) -> AlicloudProvider:
        return _provider(emulator)

    @pytest.fixture
    def fresh_provider(self, emulator: Emulator, provider: AlicloudProvider) -> AlicloudProvider:
        return _provider(emulator)

    @pytest.fixture
    def sample(self) -> Sample:
        def make(kind: Kind, made: dict[Kind, dict[str, Any]]) -> dict[str, Any]:
            if kind is Kind.COMPONENT:
                return {"name": "hello", "version": "1.0.0", "type": "Build", "system_type": "Linux",
                        "description": "Say hello", "content": "RUN echo hello > /hello\n", "tags": {"t": "1"}}
            if kind is Kind.TEMPLATE:
                return {"name": "tpl", "base_image": BASE_IMAGE,
                        "build_content": f"COMPONENT {made[Kind.COMPONENT]['id']}\n",
                        "test_content": "RUN test -f /hello\n", "instance_type": "ecs.g6.large",
                        "image_name": "img", "image_family": "fam", "image_tags": {}, "tags": {}}
            if kind is Kind.IMAGE:
                return {"template_id": made[Kind.TEMPLATE]["id"], "content_hash": "h1", "image_name": "img",
                        "image_family": "fam", "image_tags": {}, "tags": {}, "context_dir": "/nonexistent"}
            if kind is Kind.COPY:
                return {"source_image_id": made[Kind.IMAGE]["id"], "source_region": HOME, "region": "cn-shanghai",
                        "image_name": "img", "content_hash": "h1", "tags": {}}
            return {"image_id": made[Kind.COPY]["id"], "region": "cn-shanghai", "account": "100000000001"}

        return make
