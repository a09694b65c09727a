"""The outlet's trading day: it starts at `day_starts_at` local time, not at midnight.

A food court open until 02:00 sells "today" until the day starts again (default 04:00), so
the kitchen's yesterday list, the printers' hold rule, the hub's counts and central's
daily summary all ask this module, with the clock and the zone passed in.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

DEFAULT_DAY_START = "04:00"


def parse_day_start(value: str) -> time:
    """`HH:MM` (24 h) as a time; raises ValueError on anything else."""
    hours, minutes = value.split(":")
    if len(hours) != 2 or len(minutes) != 2:
        raise ValueError(f"expected HH:MM, got {value!r}")
    return time(int(hours), int(minutes))


def normalize_day_start(value: object) -> str:
    """A day start as it came over the wire: `HH:MM` text that parses, else ValueError."""
    if not isinstance(value, str) or len(value) != 5:
        raise ValueError(f"expected HH:MM, got {str(value)[:20]!r}")
    parse_day_start(value)
    return value


def business_day(moment: datetime, day_start: time, zone: tzinfo | None) -> date:
    """The trading day `moment` belongs to: before `day_start` local time it is yesterday's."""
    local = moment.astimezone(zone)
    day = local.date()
    return day - timedelta(days=1) if local.time() < day_start else day


def day_bounds(day: date, day_start: time, zone: tzinfo | None) -> tuple[datetime, datetime]:
    """[start, end) of trading day `day` as aware datetimes (end is the next day's start)."""
    start = datetime.combine(day, day_start)
    end = datetime.combine(day + timedelta(days=1), day_start)
    if zone is None:
        return start.astimezone(), end.astimezone()
    return start.replace(tzinfo=zone), end.replace(tzinfo=zone)
