"""Shares and unshares of one image, gathered into one ModifyImageSharePermission call.

The engine shares an image with each account as an action of its own, and starts them together when
the image (or its copy) is ready. Each would be one call; the API takes ten accounts per call. So
the first share of an image waits a moment (``window``) for the others started with it and sends
them all; everyone in the batch gets the batch's answer. If a batch of several is refused for good
(an account that does not exist), each account is sent alone, so the error lands on the action it
belongs to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from imgb.providers.base import ProviderError

BATCH = 10
"""ModifyImageSharePermission takes ten accounts per call (more are silently ignored)."""

Modify = Callable[[str, str, Sequence[str], Sequence[str]], None]
"""(region, image id, add, remove)."""


@dataclass
class _Batch:
    accounts: set[str] = field(default_factory=set)
    done: threading.Event = field(default_factory=threading.Event)
    sent: bool = False
    error: ProviderError | None = None


class ShareBatcher:
    def __init__(self, modify: Modify, window: float):
        self._modify = modify
        self.window = window
        self._open: dict[tuple[str, str, bool], _Batch] = {}
        self._lock = threading.Lock()

    def share(self, region: str, image_id: str, account: str) -> None:
        self._run(region, image_id, account, add=True)

    def unshare(self, region: str, image_id: str, account: str) -> None:
        self._run(region, image_id, account, add=False)

    def _run(self, region: str, image_id: str, account: str, *, add: bool) -> None:
        key = (region, image_id, add)
        with self._lock:
            batch = self._open.get(key)
            leader = batch is None or batch.sent or len(batch.accounts) >= BATCH
            if leader:
                batch = self._open[key] = _Batch()
            assert batch is not None
            batch.accounts.add(account)
        if leader:
            time.sleep(self.window)  # the rest of the image's shares, started with this one
            with self._lock:
                batch.sent = True
                if self._open.get(key) is batch:
                    del self._open[key]
            try:
                self._send(region, image_id, sorted(batch.accounts), add)
            except ProviderError as refused:
                batch.error = refused
            finally:
                batch.done.set()
        else:
            batch.done.wait()
        answer = batch.error
        if answer is None:
            return
        if answer.retryable or len(batch.accounts) == 1:
            raise answer
        self._send(region, image_id, [account], add)  # whose fault it was: this account's own answer

    def _send(self, region: str, image_id: str, accounts: list[str], add: bool) -> None:
        self._modify(region, image_id, accounts if add else [], [] if add else accounts)
