"""Time functions. Timestamps are RFC 3339 strings; timestamp() and plantimestamp() change from run
to run, so a configuration that puts them in image content rebuilds every time (a warning says so)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from imgb.reconciler.config.functions import Call, FuncError, Param, function
from imgb.reconciler.config.types import STRING

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z"
)


def parse_rfc3339(s: str, arg: int) -> tuple[dt.datetime, int]:
    """(aware datetime, nanoseconds) of an RFC 3339 timestamp, as Go's time.Parse(time.RFC3339)."""
    m = _RFC3339.match(s)
    if m is None:
        raise FuncError(f'not a valid RFC3339 timestamp: cannot use "{s}" as year', arg)
    y, mo, d, h, mi, se, frac, zone = m.groups()
    if zone in ("Z", "z"):
        tz = dt.UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        hh, mm = int(zone[1:3]), int(zone[4:6])
        if hh > 23 or mm > 59:
            raise FuncError(f'not a valid RFC3339 timestamp: time zone offset out of range in "{s}"', arg)
        tz = dt.timezone(sign * dt.timedelta(hours=hh, minutes=mm))
    try:
        when = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(se), tzinfo=tz)
    except ValueError:
        raise FuncError(f'not a valid RFC3339 timestamp: "{s}" is out of range', arg) from None
    nanos = int((frac or ".0")[1:].ljust(9, "0")[:9])
    return when, nanos


def format_rfc3339(when: dt.datetime) -> str:
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    off = when.utcoffset()
    if not off:
        return text + "Z"
    total = int(off.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{text}{sign}{total // 60:02d}:{total % 60:02d}"


@function("timestamp", volatile=True)
def f_timestamp(c: Call, a: list[Any]) -> Any:
    return format_rfc3339(dt.datetime.now(dt.UTC).replace(microsecond=0))


@function("plantimestamp", volatile=True)
def f_plantimestamp(c: Call, a: list[Any]) -> Any:
    from imgb.unknown import Unknown

    return c.ev.ctx.plan_time if c.ev.ctx.plan_time is not None else Unknown("plantimestamp()")


@function("timecmp", Param("timestamp_a", STRING), Param("timestamp_b", STRING))
def f_timecmp(c: Call, a: list[Any]) -> Any:
    ta, na = parse_rfc3339(a[0], 0)
    tb, nb = parse_rfc3339(a[1], 1)
    ka, kb = (ta.timestamp(), na), (tb.timestamp(), nb)
    return (ka > kb) - (ka < kb)


_DURATION_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_RE = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(s: str, arg: int) -> int:
    """Go's time.ParseDuration, in nanoseconds."""
    text = s
    sign = 1
    if text and text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise FuncError(f'time: invalid duration "{s}"', arg)
    total = 0
    pos = 0
    while pos < len(text):
        m = _DURATION_RE.match(text, pos)
        if m is None:
            if re.match(r"(\d+\.?\d*|\.\d+)", text[pos:]):
                raise FuncError(f'time: missing unit in duration "{s}"', arg)
            raise FuncError(f'time: invalid duration "{s}"', arg)
        num, unit = m.groups()
        whole, _, frac = num.partition(".")
        scale = _DURATION_UNITS[unit]
        total += int(whole or 0) * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        pos = m.end()
    return sign * total


@function("timeadd", Param("timestamp", STRING), Param("duration", STRING))
def f_timeadd(c: Call, a: list[Any]) -> Any:
    when, nanos = parse_rfc3339(a[0], 0)
    delta = parse_duration(a[1], 1)
    total = nanos + delta
    result = when + dt.timedelta(microseconds=total // 1000)
    return format_rfc3339(result)


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@function("formatdate", Param("format", STRING), Param("time", STRING))
def f_formatdate(c: Call, a: list[Any]) -> Any:
    spec = a[0]
    when, _ = parse_rfc3339(a[1], 1)
    out: list[str] = []
    i, n = 0, len(spec)
    while i < n:
        ch = spec[i]
        if ch == "'":
            j = i + 1
            lit: list[str] = []
            while True:
                if j >= n:
                    raise FuncError("unterminated literal '", 0)
                if spec[j] == "'":
                    if j + 1 < n and spec[j + 1] == "'":
                        lit.append("'")
                        j += 2
                        continue
                    break
                lit.append(spec[j])
                j += 1
            out.append("".join(lit) if lit or j > i + 1 else "'")
            i = j + 1
            continue
        if ch.isalpha():
            j = i
            while j < n and spec[j] == ch:
                j += 1
            out.append(_date_token(spec[i:j], when))
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _offset(when: dt.datetime, colon: bool) -> str:
    off = when.utcoffset() or dt.timedelta()
    total = int(off.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 60:02d}{':' if colon else ''}{total % 60:02d}"


def _date_token(tok: str, when: dt.datetime) -> str:
    table = {
        "YYYY": f"{when.year:04d}", "YY": f"{when.year % 100:02d}",
        "MMMM": _MONTHS[when.month - 1], "MMM": _MONTHS[when.month - 1][:3], "MM": f"{when.month:02d}", "M": str(when.month),
        "DD": f"{when.day:02d}", "D": str(when.day),
        "EEEE": _DAYS[when.weekday()], "EEE": _DAYS[when.weekday()][:3],
        "hh": f"{when.hour:02d}", "h": str(when.hour),
        "HH": f"{(when.hour % 12) or 12:02d}", "H": str((when.hour % 12) or 12),
        "AA": "AM" if when.hour < 12 else "PM", "aa": "am" if when.hour < 12 else "pm",
        "mm": f"{when.minute:02d}", "m": str(when.minute),
        "ss": f"{when.second:02d}", "s": str(when.second),
    }  # fmt: skip
    if tok in table:
        return table[tok]
    if tok in ("ZZZZZ", "ZZZZ", "ZZZ", "Z"):
        off = when.utcoffset() or dt.timedelta()
        if tok == "ZZZ":
            return "UTC" if not off else _offset(when, False)
        if tok == "Z":
            return "Z" if not off else _offset(when, True)
        return _offset(when, tok == "ZZZZZ")
    raise FuncError(f'invalid date format verb "{tok}": unsupported', 0)
