"""Cron schedules: parsing five-field expressions and finding the next fire time.

``minute hour day-of-month month day-of-week``, each ``*``, a number, a
``a-b`` range, a ``,`` list, with optional ``/step``; months and weekdays also
by name (``jan``, ``mon``); weekday 0 and 7 are Sunday. When both day fields
are restricted, a day matching either fires (as cron does). A sixth field is
the second (as croniter, which LangGraph's server uses, reads it), so
``* * * * * */10`` fires every ten seconds; without it, at second 0. Pure functions:
the scheduler that fires crons lives in ``_scheduler``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = [
    *("jan", "feb", "mar", "apr", "may", "jun"),
    *("jul", "aug", "sep", "oct", "nov", "dec"),
]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
#: (low, high, names) of each field.
_FIELDS = (
    (0, 59, None),
    (0, 23, None),
    (1, 31, None),
    (1, 12, _MONTHS),
    (0, 7, _DAYS),
    (0, 59, None),
)
#: How far ahead a schedule is searched (Feb 29 on a Monday takes 28 years).
_HORIZON = timedelta(days=366 * 30)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed cron expression: the allowed values of each field."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool
    seconds: frozenset[int] = frozenset({0})

    def day_matches(self, moment: datetime) -> bool:
        """Whether the day of ``moment`` fires, with cron's OR of the day fields."""
        in_month = moment.day in self.days
        in_week = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week


def _value(text: str, names: list[str] | None) -> int:
    if names is not None and text.lower()[:3] in names and not text.isdigit():
        offset = 1 if names is _MONTHS else 0
        return names.index(text.lower()[:3]) + offset
    return int(text)


def _field(text: str, low: int, high: int, names: list[str] | None) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        spec, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if spec == "*":
            start, end = low, high
        elif "-" in spec:
            first, _, last = spec.partition("-")
            start, end = _value(first, names), _value(last, names)
        else:
            start = _value(spec, names)
            end = high if step_text else start
        if step < 1 or not low <= start <= end <= high:
            raise ValueError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def parse_schedule(expression: str) -> Schedule:
    """Parse a five-field cron expression.

    Raises:
        ValueError: When the expression is malformed.
    """
    parts = expression.split()
    if len(parts) not in (5, 6):
        raise ValueError(f"expected 5 fields (or 6 with seconds), got {len(parts)}")
    try:
        fields = [_field(p, *spec) for p, spec in zip(parts, _FIELDS, strict=False)]
    except ValueError as exc:
        raise ValueError(f"invalid field: {exc}") from None
    weekdays = {d % 7 for d in fields[4]}
    return Schedule(
        minutes=frozenset(fields[0]),
        hours=frozenset(fields[1]),
        days=frozenset(fields[2]),
        months=frozenset(fields[3]),
        weekdays=frozenset(weekdays),
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
        seconds=frozenset(fields[5]) if len(fields) == 6 else frozenset({0}),
    )


def zone(name: str | None) -> ZoneInfo | timezone:
    """The time zone named ``name`` (UTC for ``None``).

    Raises:
        ValueError: For an unknown zone name.
    """
    if name is None:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def next_fire(
    schedule: Schedule, after: datetime, tz: ZoneInfo | timezone = timezone.utc
) -> datetime | None:
    """The first second strictly after ``after`` the schedule fires, in UTC.

    Wall-clock fields are read in ``tz``. ``None`` if it never fires (such as
    February 30th).
    """
    local = after.astimezone(tz).replace(tzinfo=None, microsecond=0)
    moment = local + timedelta(seconds=1)
    limit = local + _HORIZON
    while moment <= limit:
        if moment.month not in schedule.months:
            year, month = divmod(moment.month, 12)
            moment = datetime(moment.year + year, month + 1, 1)
        elif not schedule.day_matches(moment):
            moment = datetime(moment.year, moment.month, moment.day) + timedelta(days=1)
        elif moment.hour not in schedule.hours:
            moment = moment.replace(minute=0, second=0) + timedelta(hours=1)
        elif moment.minute not in schedule.minutes:
            moment = moment.replace(second=0) + timedelta(minutes=1)
        elif moment.second not in schedule.seconds:
            later = [s for s in schedule.seconds if s > moment.second]
            if later:
                moment = moment.replace(second=min(later))
            else:
                moment = moment.replace(second=0) + timedelta(minutes=1)
        else:
            return moment.replace(tzinfo=tz).astimezone(timezone.utc)
    return None
