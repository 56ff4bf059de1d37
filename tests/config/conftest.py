"""Helpers for configuration tests: write a configuration into a temporary directory and load it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from imgb.diagnostics import Diagnostics
from imgb.reconciler.config.load import load_config
from imgb.reconciler.config.model import Config

Loader = Callable[..., tuple[Config | None, Diagnostics]]


@pytest.fixture
def cache_env(tmp_path: Path) -> dict[str, str]:
    return {"IMGB_CACHE_DIR": str(tmp_path / "cache")}


@pytest.fixture
def load(tmp_path: Path, cache_env: dict[str, str]) -> Loader:
    """load(files, var_args=..., var_files=..., env=...) → (config, diags), files written into cfg/."""

    def run(
        files: Mapping[str, str] | str,
        *,
        var_args: Sequence[str] = (),
        var_files: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> tuple[Config | None, Diagnostics]:
        directory = tmp_path / "cfg"
        directory.mkdir(exist_ok=True)
        if isinstance(files, str):
            files = {"main.imgb.hcl": files}
        for name, text in files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return load_config(directory, var_args=var_args, var_files=var_files, env={**cache_env, **(env or {})})

    return run


def summaries(diags: Diagnostics) -> list[str]:
    return [d.summary for d in diags.sorted()]
