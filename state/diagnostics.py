"""State errors as diagnostics, so every command reports them the same way (summary, detail, fix)."""

from __future__ import annotations

from reconciler.diagnostics import Diagnostic, SourcePos, error
from state.backend import BackendError, LockError, SerialConflict
from state.manager import PushRefused
from state.names import WorkspaceError


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


def state_diagnostic(exc: Exception, pos: SourcePos | None = None) -> Diagnostic:
    """The diagnostic for an exception raised by a backend, the state manager or the workspace helpers."""
    if isinstance(exc, LockError):
        detail = _sentence(str(exc))
        if exc.holder is not None and exc.holder.id:
            detail += (
                " Wait for that operation to finish or pass --lock-timeout to wait for it. If it is certain "
                f"that nothing is using the state any more, run `imgb force-unlock {exc.holder.id}`."
            )
        return error("Error acquiring the state lock", detail, pos)
    if isinstance(exc, SerialConflict):
        return error("State changed by someone else", _sentence(str(exc)), pos)
    if isinstance(exc, PushRefused):
        return error("State push refused", _sentence(str(exc)), pos)
    if isinstance(exc, WorkspaceError):
        return error("Workspace error", _sentence(str(exc)), pos)
    if isinstance(exc, BackendError):
        return error("State storage failed", _sentence(str(exc)), pos)
    return error("State error", _sentence(str(exc)), pos)
