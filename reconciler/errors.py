"""Exceptions from the lower layers that are user problems, turned into messages for people."""

from __future__ import annotations


def explain_exception(e: BaseException) -> str | None:
    """A message for an exception a user can act on, or None for a bug."""
    from imgb.addresses import AddressError
    from imgb.providers.base import ProviderError
    from imgb.state.backend import BackendError, LockError, SerialConflict

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
