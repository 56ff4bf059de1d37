"""Shared pytest options. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


PLUGINS = Path(__file__).resolve().parent / "plugins"


@pytest.fixture(scope="session")
def test_plugins() -> None:
    """imgb's test-only provider (dircloud) and backend (sqlite), tests/plugins: a distribution of
    their own, found through imgb's entry points as a third party's would be. .ci/install installs
    them; a checkout that has not run it since gets them here."""
    from imgb import plugins

    if "dircloud" in plugins.provider_types() and "sqlite" in plugins.backend_types():
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", str(PLUGINS),
                    "--config-settings", "editable_mode=compat"], check=True, capture_output=True, timeout=600)
    if str(PLUGINS) not in sys.path:
        sys.path.append(str(PLUGINS))  # the editable install's path entry counts from the next process on
    importlib.invalidate_caches()
    plugins.rescan()
    assert "dircloud" in plugins.provider_types() and "sqlite" in plugins.backend_types()
