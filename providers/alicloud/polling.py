"""Polling loops that outlive transient errors: a build may take an hour, a throttled
Describe must not end it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from imgb.providers.base import ProviderError

T = TypeVar("T")

RENEWED_AT_ONCE = frozenset({"InvalidSecurityToken.Expired", "CredentialsRefreshFailed"})
"""Waiting does not help these: a renewing credentials provider renews at the next call, and a fixed
token never comes back. A poll retries them once, then leaves it to the engine (which keeps the
operation's record, so the next apply, with fresh credentials, adopts it)."""


class Poller:
    def __init__(self, interval: float, max_transient_errors: int = 30, max_backoff: float = 60.0):
        self.interval = interval
        self.max_transient_errors = max_transient_errors
        self.max_backoff = max_backoff

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()``, retried on retryable errors (honouring ``retry_after``) up to the budget."""
        failures = 0
        while True:
            try:
                return fn()
            except ProviderError as err:
                if not err.retryable or failures >= self.max_transient_errors or (
                        err.code in RENEWED_AT_ONCE and failures >= 1):
                    raise
                failures += 1
                backoff = min(self.max_backoff, max(self.interval, 0.01) * 2 ** min(failures, 6))
                time.sleep(min(self.max_backoff, err.retry_after) if err.retry_after is not None else backoff)

    def sleep(self) -> None:
        time.sleep(self.interval)
