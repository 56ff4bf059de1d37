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
    elif step == "promote":
        pair = ("Making current", "Made current")
    else:
        pair = ("Forgetting", "Forgot")
    return pair[1] if done else pair[0]


def _old(node: Node) -> str:
    """`` ic-old``: a deletion names the object it deletes, which a replacement's new object shares
    an address with (``template.web: Created ... [id=ip-new]``, ``template.web: Deleting ip-old...``)."""
    prior = node.change.prior_id
    return f" {prior}" if str(node.step) == "delete" and prior and prior not in node.label else ""


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
        self._line(f"{node.label}: {verb(node)}{_old(node)}...")

    def progress(self, node: Node, message: str, phase: str | None) -> None:
        self._line(f"{node.label}: {phase + ': ' if phase else ''}{message}")

    def finished(self, node: Node, result: Mapping[str, Any] | None, seconds: float) -> None:
        rid = f" [id={result['id']}]" if result and "id" in result else ""
        self._line(f"{node.label}: {verb(node, done=True)}{_old(node)} after {seconds:.1f}s{rid}")

    def failed(self, node: Node, error: Any) -> None:
        self._line(f"{node.label}: failed: {error.code}: {error.message}")

    def skipped(self, node: Node, because: str) -> None:
        self._line(f"{node.label}: skipped ({because})")

    def in_service(self, node: Node) -> None:
        self._line(f"{node.label}: in service")

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


def running_table(title: str, rows: list[tuple[str, float, str, str]], width: int) -> str:
    """The live view of running actions: (address, seconds, phase, last message) per row. The
    address is never cut (a narrow terminal folds it onto the next line); the last message gets
    what room is left, and is dropped when there is little."""
    lines = [title]
    if not rows:
        return title
    label_w = max(len("action"), *(len(r[0]) for r in rows))
    phase_w = max(len("phase"), *(len(r[2]) for r in rows))

    def line(label: str, seconds: str, phase: str, message: str) -> str:
        head = f"{label:<{label_w}}  {seconds:>7}  {phase:<{phase_w}}"
        room = width - len(head) - 2
        if message and room >= 10:
            head += "  " + (message if len(message) <= room else message[: room - 1] + "…")
        return head.rstrip()

    lines.append(line("action", "elapsed", "phase", "last message"))
    for label, seconds, phase, message in rows:
        lines.append(line(label, f"{seconds:.0f}s", phase, message.splitlines()[-1] if message else ""))
    return "\n".join(lines)


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
        from rich.text import Text

        elapsed = time.monotonic() - self.t0
        left = f", about {max(0.0, self.eta_s - elapsed):.0f}s left" if self.eta_s else ""
        with self._lock:
            rows = [(label, time.monotonic() - since, phase, message) for label, (since, phase, message) in sorted(self.running.items())]
        title = f"{self.done}/{self.total} done, {elapsed:.0f}s{left}"
        return Text(running_table(title, rows, self.console.width), overflow="fold")

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
