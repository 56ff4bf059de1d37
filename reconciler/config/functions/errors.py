"""can and try: they evaluate their argument expressions themselves, to catch the errors."""

from __future__ import annotations

from typing import Any

from imgb.reconciler.config.functions import Call, Param, function
from imgb.reconciler.config.values import INVALID, deep_unknown


@function("can", Param("expression"), lazy=True)
def f_can(c: Call, a: list[Any]) -> Any:
    from imgb.reconciler.config.context import EvalError

    ((expr, frame),) = a
    try:
        value = c.ev.eval(expr, frame)
    except EvalError as exc:
        if exc.static:
            raise
        return False
    if value is INVALID:
        return INVALID
    unknown = deep_unknown(value)
    return unknown if unknown is not None else True


@function("try", variadic=Param("expressions"), lazy=True)
def f_try(c: Call, a: list[Any]) -> Any:
    from imgb.reconciler.config.context import EvalError

    if not a:
        raise EvalError(
            "Not enough function arguments", 'Function "try" expects at least one argument.', c.pos
        )
    last: EvalError | None = None
    for expr, frame in a:
        try:
            value = c.ev.eval(expr, frame)
        except EvalError as exc:
            if exc.static:
                raise
            last = exc
            continue
        if value is INVALID:
            return INVALID
        unknown = deep_unknown(value)
        return unknown if unknown is not None else value
    reason = f" The last error was: {last.summary}: {last.detail}" if last else ""
    raise EvalError(
        "Error in function call",
        f'Call to function "try" failed: no expression succeeded.{reason}',
        c.pos,
    )
