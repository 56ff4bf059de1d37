"""A configuration directory the lifecycle tests drive as a user would: a small configuration
rendered from a spec, the real CLI (in this process, or as a child process to kill), and state.

One spec renders for both providers. A template's content is a number; a failing build or test
is part of the content (so it has its own content hash, as it would for a user): the local
provider really runs ``RUN false``; the Alibaba emulator fails the build of that content.
"""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgb.reconciler.cli import main
from imgb.state.local import LocalBackend
from imgb.state.manager import StateManager
from imgb.state.model import State

ROOT = Path(__file__).resolve().parents[2]
FAIL_BUILD = "imgb-test: the build fails"
FAIL_TEST = "imgb-test: the test fails"


@dataclass(frozen=True)
class TemplateSpec:
    content: int = 0
    fails: str = ""
    """"": builds and tests pass; "build": the build fails; "test": the test commands fail."""
    retain: int = 2
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def edit(self, **changes: Any) -> TemplateSpec:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Spec:
    templates: Mapping[str, TemplateSpec] = field(default_factory=dict)

    def with_template(self, name: str, spec: TemplateSpec) -> Spec:
        return Spec({**self.templates, name: spec})


@dataclass(frozen=True)
class Flavor:
    """What differs between providers: the provider block, base image, regions and accounts."""

    name: str
    home: str
    regions: tuple[str, ...]
    accounts: tuple[str, ...]
    base_image: str
    provider_block: str

    def render(self, spec: Spec) -> str:
        out = [self.provider_block]
        for name, t in sorted(spec.templates.items()):
            build = f"RUN echo {name}-{t.content} > /{name}"
            test = f"RUN test -f /{name}"
            if t.fails == "build":
                build += f"\nRUN echo '{FAIL_BUILD}' && false" if self.name == "local" else f"\nRUN echo '{FAIL_BUILD}'"
            elif t.fails == "test":
                test += f"\nRUN echo '{FAIL_TEST}' && false" if self.name == "local" else f"\nRUN echo '{FAIL_TEST}'"
            regions = ", ".join(f'"{r}"' for r in t.regions)
            accounts = ", ".join(f'"{a}"' for a in t.accounts)
            out.append(
                f'template "{name}" {{\n  base_image = "{self.base_image}"\n'
                f"  build      = <<-EOT\n    {build.replace(chr(10), chr(10) + '    ')}\n  EOT\n"
                f"  test       = <<-EOT\n    {test.replace(chr(10), chr(10) + '    ')}\n  EOT\n"
                f'  image_name = "{name}"\n  retain     = {t.retain}\n  distribute = [distribution.{name}]\n}}\n'
            )
            out.append(f'distribution "{name}" {{\n  regions  = [{regions}]\n  accounts = [{accounts}]\n}}\n')
        return "\n".join(out)


def local_flavor() -> Flavor:
    return Flavor(
        name="local",
        home="local-1",
        regions=("local-2", "local-3"),
        accounts=("100000000001", "100000000002"),
        base_image="busybox",
        provider_block='provider "local" {\n  root   = ".imgb/cloud"\n  region = "local-1"\n}\n',
    )


def alicloud_flavor(endpoint: str) -> Flavor:
    return Flavor(
        name="alicloud",
        home="cn-hangzhou",
        regions=("cn-shanghai", "ap-southeast-1"),
        accounts=("1234567890123456", "2234567890123456"),
        base_image="ubuntu_22_04_x64_20G_alibase_20240520.vhd",
        provider_block=f'provider "alicloud" {{\n  region   = "cn-hangzhou"\n  endpoint = "http://{endpoint}"\n}}\n',
    )


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Site:
    """One configuration directory, its state, and the CLI run as a user would."""

    def __init__(self, directory: Path, flavor: Flavor, env: Mapping[str, str] | None = None):
        self.d = directory
        self.d.mkdir(parents=True, exist_ok=True)
        self.flavor = flavor
        self.env = dict(env or {})

    def write(self, spec: Spec) -> None:
        (self.d / "main.imgb.hcl").write_text(self.flavor.render(spec))

    def imgb(self, *args: str) -> Ran:
        """The CLI in this process (the quick way; faults patched into this process apply)."""
        out, err = io.StringIO(), io.StringIO()
        cwd = os.getcwd()  # -C changes directory
        try:
            with _environ(self.env), redirect_stdout(out), redirect_stderr(err):
                code = main(["-C", str(self.d), *args])
        finally:
            os.chdir(cwd)
        return Ran(code, out.getvalue(), err.getvalue())

    def child(self, *args: str, crash_at: int = 0, interrupt_after: float | None = None, timeout: float = 300) -> Ran:
        """The CLI as a child process: killed (``kill -9``) at its ``crash_at``-th durable state
        write (tests/reliability/crash_runner.py), or sent Ctrl-C ``interrupt_after`` seconds after
        it printed its first line (the plan: a Ctrl-C while Python starts is not imgb's)."""
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        if crash_at:
            env["IMGB_CRASH_AT"] = str(crash_at)
            env["IMGB_CRASH_WHEN"] = "before" if crash_at % 2 else "after"
        cmd = [sys.executable, "-m", "tests.reliability.crash_runner", "-C", str(self.d), *args]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        started = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                started.set()
            started.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if interrupt_after is not None:
            started.wait(timeout)
            time.sleep(interrupt_after)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.wait(timeout)
        reader.join(timeout)
        return Ran(proc.returncode, "".join(lines), err)

    def state(self) -> State:
        return StateManager(LocalBackend(self.d / "imgb.state.json")).load()


@contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
