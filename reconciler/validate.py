"""`imgb validate`: load the configuration, then check content and limits offline, and that the
resources it declares can be put in an order (no dependency cycle)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from imgb.diagnostics import Diagnostics
from imgb.reconciler.checks.check import check_content
from imgb.reconciler.config.gc_pause import gc_paused
from imgb.reconciler.config.load import load_config
from imgb.reconciler.config.model import Config
from imgb.reconciler.graph import build_graph


def validate_directory(
    directory: str | Path,
    *,
    var_args: Sequence[str] = (),
    var_files: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    fixed: Mapping[str, Any] | None = None,
    unknown_variables: bool = False,
) -> tuple[Config | None, Diagnostics]:
    """``fixed``: the variable values of a saved plan. ``unknown_variables``: as ``terraform
    validate``, required variables without a value are unknown rather than errors (CI validates
    before any secret exists)."""
    config, diags = load_config(
        directory, var_args=var_args, var_files=var_files, env=env, fixed=fixed, unknown_variables=unknown_variables
    )
    if config is not None and not diags.has_errors():
        with gc_paused():
            diags.extend(check_content(config))
            diags.extend(build_graph(config, {})[1])  # a cycle (depends_on) that plan would report
    return (None if diags.has_errors() else config), diags
