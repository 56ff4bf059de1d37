"""A configuration directory as imgb works on it: its configuration, its state, its providers.

The CLI calls these; each returns data or raises ``DiagnosticError``. Nothing here prints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgb.diagnostics import DiagnosticError, Diagnostics, error
from imgb.providers.base import Provider, ProviderType
from imgb.reconciler.config.model import Config
from imgb.reconciler.masking import make_masker
from imgb.reconciler.plan import Plan
from imgb.state.model import State

if TYPE_CHECKING:
    from imgb.state.backend import Backend
    from imgb.state.manager import StateManager


@dataclass
class VarInputs:
    """Where a command's variable values come from."""

    var_args: Sequence[str] = ()
    var_files: Sequence[str] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    """The variable values of the saved plan being applied."""


@dataclass
class Project:
    """One configuration directory: its configuration, state and providers, opened on first use."""

    directory: Path
    vars: VarInputs = field(default_factory=VarInputs)
    lock: bool = True
    """False: no state lock (-lock=false)."""
    lock_timeout: float = 0.0
    """How long to wait for the state lock (-lock-timeout)."""
    _config: Config | None = None
    _providers: dict[str, Provider] = field(default_factory=dict)
    _loaded: tuple[Config, Diagnostics] | None = None

    # -- configuration -----------------------------------------------------------------------
    def load(self, *, check_content: bool = True) -> tuple[Config, Diagnostics]:
        from imgb.reconciler.validate import validate_directory

        if self._loaded is not None:  # one command loads the configuration once (backend, then plan)
            return self._loaded
        config, diags = validate_directory(
            self.directory, var_args=self.vars.var_args, var_files=self.vars.var_files, env=os.environ, fixed=self.vars.fixed
        )
        if config is None or diags.has_errors():
            raise DiagnosticError(diags)
        self._config = config
        self._loaded = config, diags
        return config, diags

    def forget_configuration(self) -> None:
        """Load the configuration again when next asked (a command wrote one of its files)."""
        self.close()
        self._providers.clear()
        self._config, self._loaded = None, None

    @property
    def config(self) -> Config:
        if self._config is None:
            self.load()
        assert self._config is not None
        return self._config

    # -- state ---------------------------------------------------------------------------------
    @property
    def workspace(self) -> str:
        from imgb.state.workspace import selected_workspace

        return selected_workspace(self.directory)

    def backend(self) -> Backend:
        from imgb.reconciler.config.model import BackendConfig
        from imgb.state.backend import BackendError
        from imgb.state.open import open_backend

        if self._config is None:
            try:
                self.load()  # the plan needs it next; loading twice doubles a plan's cost
            except DiagnosticError:
                pass  # state commands work even when the configuration has errors
        cfg = (self._config.backend if self._config is not None else _backend_only(self.directory)) or BackendConfig()
        try:
            return open_backend(cfg.type, cfg.settings, self.directory)
        except BackendError as e:  # the configuration's choice: say where it is made
            if cfg.pos is None:
                raise
            raise BackendError(f"{e} (the backend block at {cfg.pos})") from None

    def state_manager(self) -> StateManager:
        from imgb.state.manager import StateManager

        return StateManager(self.backend(), self.workspace, lock=self.lock, lock_timeout=self.lock_timeout)

    # -- providers -----------------------------------------------------------------------------
    def providers(self, state: State | None = None) -> dict[str, Provider]:
        """Providers of the configuration, plus any that state names and the configuration no
        longer has (so their objects can still be deleted)."""
        from imgb import plugins

        if not self._providers:
            for key, pcfg in self.config.providers.items():
                try:
                    self._providers[key] = open_provider(plugins.provider_class(pcfg.type), pcfg.region, pcfg.attrs, self.directory)
                except Exception as e:  # construction problems are user problems (credentials, paths)
                    raise DiagnosticError(
                        error(
                            "Provider could not be configured",
                            f'The provider "{key}" could not start: {e}. Check its block in the configuration.',
                            pcfg.pos,
                        )
                    ) from None
        return self._providers

    def close(self) -> None:
        for p in self._providers.values():
            try:
                p.close()
            except Exception:
                pass

    def masker(self) -> Callable[[Any], Any]:
        return make_masker(self.config.sensitive_values)

    def secrets(self) -> list[str]:
        """What must never be shown: the values given with --var, and the sensitive values of the
        configuration if it was loaded."""
        given = [arg.partition("=")[2] for arg in self.vars.var_args]
        return given + (list(self._config.sensitive_values) if self._config is not None else [])


def open_provider(kind: Any, region: str, settings: Mapping[str, Any], directory: Path) -> Provider:
    """A provider of a type ``imgb/plugins.py`` found: a ``ProviderType``, or a class from
    IMGB_PROVIDERS_EXTRA (benchmarks), built with its region alone."""
    if isinstance(kind, ProviderType):
        return kind.open(region, settings, directory)
    if kind is None:
        raise ValueError("no provider of this type is installed")
    provider: Provider = kind(region=region)
    return provider


def _backend_only(directory: Path) -> Any:
    """The backend block without evaluating the whole configuration (state commands must work
    even when the configuration has errors)."""
    from imgb.reconciler.config.load import load_backend
    from imgb.reconciler.validate import validate_directory

    config, _ = validate_directory(directory)
    if config is not None:
        return config.backend
    backend, diags = load_backend(directory)  # never the default backend in place of a configured one
    if backend is None:
        raise DiagnosticError(diags)
    return backend


def read_plan_file(path: Path) -> Plan:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DiagnosticError(error("Cannot read the plan file", f"{path}: {e.strerror}.")) from None
    try:
        return Plan.from_file_bytes(data)
    except ValueError as e:
        raise DiagnosticError(
            error("Invalid plan file", f"{path} cannot be applied: {e}. Make a new one with imgb plan --out.")
        ) from None


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (plans and state may name accounts and images)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def dump_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
