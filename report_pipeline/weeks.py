"""Week arithmetic: Monday 00:00 to next Monday 00:00 in a configured timezone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WeekWindow:
    """One report week: ``start`` inclusive, ``end`` exclusive, both timezone-aware."""

    key: str  # the Monday, "YYYY-MM-DD": the partition key
    start: dt.datetime
    end: dt.datetime
    timezone: str

    @property
    def iso_label(self) -> str:
        """ISO week label such as ``2026-W16``."""
        year, week, _ = self.start.date().isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def last_day(self) -> dt.date:
        """The Sunday that closes the week."""
        return (self.end - dt.timedelta(days=1)).date()

    def contains(self, moment: dt.datetime) -> bool:
        """True when ``moment`` (aware) falls inside the week."""
        return self.start <= moment < self.end

    def previous(self, n: int = 1) -> WeekWindow:
        """The window ``n`` weeks earlier."""
        return week_window(
            (dt.date.fromisoformat(self.key) - dt.timedelta(weeks=n)).isoformat(), self.timezone
        )


def week_window(week_key: str, timezone: str = "UTC") -> WeekWindow:
    """The window of the week starting on Monday ``week_key`` in ``timezone``.

    Raises ``ValueError`` for a malformed key or a key that is not a Monday.
    """
    try:
        monday = dt.date.fromisoformat(week_key)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"week {week_key!r} is not a date of the form YYYY-MM-DD") from exc
    if monday.weekday() != 0:
        raise ValueError(f"week {week_key!r} is a {monday:%A}, weeks start on Monday")
    tz = ZoneInfo(timezone)
    start = dt.datetime.combine(monday, dt.time(0, 0), tzinfo=tz)
    # wall-clock arithmetic keeps Monday 00:00 across DST changes
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0, 0), tzinfo=tz)
    return WeekWindow(key=monday.isoformat(), start=start, end=end, timezone=timezone)


def week_of(moment: dt.datetime, timezone: str = "UTC") -> str:
    """The partition key of the week that contains the aware ``moment``."""
    local = moment.astimezone(ZoneInfo(timezone))
    monday = local.date() - dt.timedelta(days=local.weekday())
    return monday.isoformat()


def last_complete_week(now: dt.datetime, timezone: str = "UTC") -> str:
    """The key of the last week that ended at or before ``now``."""
    this_week = dt.date.fromisoformat(week_of(now, timezone))
    return (this_week - dt.timedelta(weeks=1)).isoformat()


def monday_on_or_before(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())
