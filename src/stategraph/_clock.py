"""UTC timestamps in ``datetime.isoformat()`` form, made cheaply.

Every checkpoint carries one; ``datetime.now(timezone.utc).isoformat()``
costs about as much as the rest of a small step's bookkeeping, so the part
up to the seconds is formatted once per second and reused.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

# (second, its formatted prefix): one object, so threads never see a mix.
_cached: tuple[int, str] = (-1, "")
# Three-digit groups of the microseconds: a format spec costs more than the
# rest of a timestamp.
_DIGITS = [f"{i:03d}" for i in range(1000)]


def utc_now_iso() -> str:
    """The current UTC time as ``datetime.now(timezone.utc).isoformat()`` gives it.

    Microseconds are truncated from the clock's nanoseconds; as with
    ``isoformat()``, they are left out when they are zero.
    """
    return utc_iso(time.time_ns())


def utc_iso(ns: int) -> str:
    """``utc_now_iso()`` of the moment ``ns`` (nanoseconds since the Unix epoch)."""
    global _cached
    second, micros = divmod(ns // 1000, 1_000_000)
    cached = _cached
    if second == cached[0]:
        prefix = cached[1]
    else:
        prefix = datetime.fromtimestamp(second, timezone.utc).isoformat()[:19]
        _cached = (second, prefix)
    if micros:
        millis = micros // 1000
        return f"{prefix}.{_DIGITS[millis]}{_DIGITS[micros - millis * 1000]}+00:00"
    return f"{prefix}+00:00"
