"""Fixtures: an emulator per test and providers talking to it through the real SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from imgb.providers.alicloud import AlicloudProvider, static_credentials
from tests.alicloud.emulator import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator

HOME = "cn-hangzhou"
BASE_IMAGE = "ubuntu_22_04_x64_20G_alibase_20240520.vhd"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=7, phase_seconds=0.03, copy_seconds=0.03) as em:
        yield em


ProviderFactory = Callable[..., AlicloudProvider]


@pytest.fixture
def make_provider(emulator: Emulator) -> ProviderFactory:
    def make(**kw: Any) -> AlicloudProvider:
        kw.setdefault("credentials", static_credentials(TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET))
        kw.setdefault("poll_interval", 0.01)
        kw.setdefault("read_timeout_ms", 2000)
        kw.setdefault("connect_timeout_ms", 1000)
        return AlicloudProvider(HOME, endpoint=emulator.endpoint, protocol="http", **kw)

    return make


@pytest.fixture
def provider(make_provider: ProviderFactory) -> AlicloudProvider:
    return make_provider()


class Recorder:
    """A Progress that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str | None, str]] = []

    def __call__(self, message: str, *, phase: str | None = None) -> None:
        self.events.append((phase, message))

    @property
    def phases(self) -> list[str | None]:
        return [p for p, _ in self.events]
