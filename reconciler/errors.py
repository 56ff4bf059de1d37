"""Exceptions that are user problems, turned into messages for people; the debug log for the others."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path


class OperationError(Exception):
    """An operation refused what it was asked (no such resource, a clash): a user problem, said in
    one sentence."""


def explain_exception(e: BaseException) -> str | None:
    """A message for an exception a user can act on, or None for a bug."""
    from imgb.addresses import AddressError
    from imgb.providers.base import ProviderError
    from imgb.state.backend import BackendError, LockError, SerialConflict

    if isinstance(e, OperationError):
        return f"Error: {e}\n"
    if isinstance(e, LockError):
        h = e.holder
        who = (
            f"\n\nLock Info:\n  ID:        {h.id}\n  Operation: {h.operation}\n  Who:       {h.who}\n"
            f"  PID:       {h.pid}\n  Created:   {h.created}\n"
            if h
            else "\n"
        )
        return (
            "Error: Error acquiring the state lock\n\n"
            f"{e}.{who}\n"
            "Someone else is applying or planning with this state. Wait for them to finish, retry with "
            "--lock-timeout 5m, or, if you are sure the holder is gone, run imgb force-unlock LOCK_ID.\n"
        )
    if isinstance(e, SerialConflict):
        return f"Error: the state changed while imgb was writing it ({e}). Nothing was overwritten; run the command again.\n"
    from imgb.state.names import WorkspaceError

    if isinstance(e, WorkspaceError):
        return f"Error: {e}\n"
    if isinstance(e, BackendError):
        return f"Error: state storage failed: {e}\n"
    if isinstance(e, ProviderError):
        rid = f" (request id {e.request_id})" if e.request_id else ""
        return f"Error: {e.code}: {e.message}{rid}\n"
    if isinstance(e, AddressError):
        return f"Error: {e}\n"
    try:
        from imgb.state.manager import PushRefused
    except ImportError:  # pragma: no cover
        return None
    if isinstance(e, PushRefused):
        return f"Error: {e}\n"
    return None


def write_debug_log(e: BaseException, secrets: Iterable[str]) -> Path | None:
    """Append ``e``'s traceback to the debug log ($IMGB_DEBUG_LOG, else ./imgb-debug.log), readable
    by its owner only and with secrets masked; returns the log's path, or None if it cannot be written."""
    log = Path(os.environ.get("IMGB_DEBUG_LOG", Path.cwd() / "imgb-debug.log"))
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)  # an older log may have been created readable by others
        with os.fdopen(fd, "a") as f:
            f.write(f"--- {datetime.now(UTC).isoformat()} imgb {' '.join(sys.argv[1:2])}\n")
            f.write(scrub("".join(traceback.format_exception(e)), secrets))
    except OSError:
        return None
    return log


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Tracebacks can quote values: mask every secret-looking environment value, and ``secrets``
    (every --var value and sensitive value of the configurations the command loaded)."""
    words = ("SECRET", "TOKEN", "PASSWORD", "CONN_STR", "ACCESS_KEY", "DSN")
    values = [v for k, v in os.environ.items() if k.startswith("IMGB_VAR_") or any(w in k.upper() for w in words)]
    values += list(secrets)
    for value in sorted({v for v in values if len(v) >= 4}, key=len, reverse=True):
        text = text.replace(value, "(sensitive)")
    return text
