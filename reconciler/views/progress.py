"""Apply progress: a live table in a terminal, timestamped lines in CI logs."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from imgb.addresses import Kind
from imgb.reconciler.apply import Hooks, Node


def verb(node: Node, done: bool = False) -> str:
    step, kind = str(node.step), node.change.kind
    if step == "create":
        pair = {Kind.IMAGE: ("Building", "Built"), Kind.COPY: ("Copying", "Copied"), Kind.SHARE: ("Sharing", "Shared")}.get(
            kind, ("Creating", "Created")
        )
    elif step == "delete":
        pair = ("Unsharing", "Unshared") if kind is Kind.SHARE else ("Deleting", "Deleted")
    elif step == "reuse":
        pair = ("Making current", "Made current")
    else:
        pair = ("Forgetting", "Forgot")
    return pair[1] if done else pair[0]


class LineHooks(Hooks):
    """One timestamped line per event: readable in CI logs and terminals alike."""

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self.write = write or (lambda s: (sys.stdout.write(s), sys.stdout.flush()) and None)
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        with self._lock:
            self.write(f"{stamp} {text}\n")

    def started(self, node: Node) -> None:
        self._line(f"{node.label}: {verb(node)}...")

    def progress(self, node: Node, message: str, phase: str | None) -> None:
        self._line(f"{node.label}: {phase + ': ' if phase else ''}{message}")

    def finished(self, node: Node, result: Mapping[str, Any] | None, seconds: float) -> None:
        rid = f" [id={result['id']}]" if result and "id" in result else ""
        self._line(f"{node.label}: {verb(node, done=True)} after {seconds:.1f}s{rid}")

    def failed(self, node: Node, error: Any) -> None:
        self._line(f"{node.label}: failed: {error.code}: {error.message}")

    def skipped(self, node: Node, because: str) -> None:
        self._line(f"{node.label}: skipped ({because})")

    def retrying(self, node: Node, error: Any, delay: float, attempt: int) -> None:
        self._line(f"{node.label}: {error.code}, retrying in {delay:.1f}s (attempt {attempt + 1})")

    def interrupted(self, second: bool) -> None:
        if second:
            sys.stderr.write("\nInterrupted again: cancelling running builds.\n")
        else:
            sys.stderr.write(
                "\nInterrupt received: starting nothing new and waiting for running actions to finish. "
                "Press Ctrl-C again to cancel running builds.\n"
            )


class LiveHooks(LineHooks):
    """A live table of running actions (elapsed time, phase, last log line), the counts done and
    an ETA from earlier durations; finished actions scroll above it as lines."""

    def __init__(self, total: int, eta_s: float = 0.0) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console()
        super().__init__(lambda s: self.console.print(s, end="", markup=False, highlight=False))
        self.total = total
        self.eta_s = eta_s
        self.done = 0
        self.t0 = time.monotonic()
        self.running: dict[str, tuple[float, str, str]] = {}
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True, get_renderable=self._render)

    def __enter__(self) -> LiveHooks:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def _render(self) -> Any:
        from rich.table import Table

        elapsed = time.monotonic() - self.t0
        left = f", about {max(0.0, self.eta_s - elapsed):.0f}s left" if self.eta_s else ""
        table = Table(title=f"{self.done}/{self.total} done, {elapsed:.0f}s{left}", title_justify="left", box=None)
        for col in ("action", "elapsed", "phase", "last message"):
            table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=60)
        with self._lock:
            rows = sorted(self.running.items())
        for label, (since, phase, message) in rows:
            table.add_row(label, f"{time.monotonic() - since:.0f}s", phase, message.splitlines()[-1] if message else "")
        return table

    def started(self, node: Node) -> None:
        with self._lock:
            self.running[node.label] = (time.monotonic(), verb(node), "")

    def progress(self, node: Node, message: str, phase: str | None) -> None:
        with self._lock:
            if node.label in self.running:  # a late message after the action finished is dropped
                since, old_phase, _ = self.running[node.label]
                self.running[node.label] = (since, phase or old_phase, message)

    def finished(self, node: Node, result: Mapping[str, Any] | None, seconds: float) -> None:
        with self._lock:
            self.running.pop(node.label, None)
            self.done += 1
        super().finished(node, result, seconds)

    def failed(self, node: Node, error: Any) -> None:
        with self._lock:
            self.running.pop(node.label, None)
        super().failed(node, error)
