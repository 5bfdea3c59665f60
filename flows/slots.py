"""Pure opening-day, opening-hour and capacity rules for bookable places, and free slots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from flows.base import AreaInfo
from nlu.dates import When
from scheduler.planner import expand_posyandu

HORIZON_DAYS = 60  # bookings and free options reach this many days ahead
PAST, CLOSED, HOURS, FULL, FAR = "past", "closed", "hours", "full", "far"
# Where a part of day said alone ("sabtu pagi") starts and ends (hours, local time).
POD_WINDOWS = {"pagi": (5, 11), "siang": (11, 15), "sore": (15, 18), "malam": (18, 24)}

Place = Mapping[str, Any]


def count_key(code: str, day: date) -> str:
    """The key of a booked count in the `visits` lookup: 'pustu-skm|2026-11-23'."""
    return f"{code}|{day.isoformat()}"


def hours(place: Place) -> tuple[time, time]:
    """Opening and closing time of a place (closing is exclusive)."""
    start, end = place["hours"]
    return time.fromisoformat(start), time.fromisoformat(end)


def is_open(place: Place, day: date) -> bool:
    """Whether the place serves on this local date (days, posyandu rule or listed dates)."""
    if day.isoweekday() in (place.get("days") or ()):
        return True
    rule = place.get("posyandu_rule")
    if rule and expand_posyandu(rule, day, day):
        return True
    return any(str(d) == day.isoformat() for d in place.get("dates") or ())


def within_hours(place: Place, at: time) -> bool:
    start, end = hours(place)
    return start <= at < end


def booked(counts: Mapping[str, int], code: str, day: date) -> int:
    return int(counts.get(count_key(code, day), 0))


def is_full(place: Place, day: date, counts: Mapping[str, int]) -> bool:
    return booked(counts, place["code"], day) >= int(place["capacity"])


def problem(place: Place, at: datetime, now: datetime, counts: Mapping[str, int]) -> str | None:
    """Why `at` (aware, local) cannot be booked: past, far, closed, hours or full; else None."""
    if at <= now:
        return PAST
    if at.date() > now.date() + timedelta(days=HORIZON_DAYS):
        return FAR
    if not is_open(place, at.date()):
        return CLOSED
    if not within_hours(place, at.time().replace(tzinfo=None)):
        return HOURS
    if is_full(place, at.date(), counts):
        return FULL
    return None


def _next_hour(now: datetime) -> time:
    """The next whole hour after `now` (23:xx gives 23:59, which no place is open at)."""
    if now.hour >= 23:
        return time(23, 59)
    return time(now.hour + 1)


def requested_at(
    when: When, place: Place, now: datetime, default_day: date | None = None
) -> datetime:
    """The local moment a resolved answer asks for at this place.

    A time without a date means today if still ahead, else tomorrow (or `default_day`, e.g.
    the visit's own date when rescheduling); a part of day alone means its start, but not
    before opening; a date alone means opening time (today: the next whole hour)."""
    start, _end = hours(place)
    day = when.date or default_day
    date_only = False
    if when.time is not None:
        clock = when.time
    elif when.part_of_day:
        first, _last = POD_WINDOWS[when.part_of_day]
        clock = max(start, time(first))
    else:
        clock, date_only = start, True
    if day is None:
        today = now.date()
        day = today if datetime.combine(today, clock, now.tzinfo) > now else today + timedelta(1)
    at = datetime.combine(day, clock, now.tzinfo)
    if date_only and day == now.date() and at <= now:
        at = datetime.combine(day, _next_hour(now), now.tzinfo)
    return at


def free_options(
    place: Place,
    from_day: date,
    wanted: time,
    now: datetime,
    counts: Mapping[str, int],
    limit: int = 3,
) -> list[datetime]:
    """Up to `limit` bookable moments on different days from `from_day`, at `wanted` when the
    place is open then, else at opening time (today: not before the next whole hour)."""
    start, end = hours(place)
    clock = wanted if start <= wanted < end else start
    day = max(from_day, now.date())
    last = now.date() + timedelta(days=HORIZON_DAYS)
    out: list[datetime] = []
    while day <= last and len(out) < limit:
        if is_open(place, day) and not is_full(place, day, counts):
            at = datetime.combine(day, clock, now.tzinfo)
            if at <= now:
                later = max(_next_hour(now), start)
                at = datetime.combine(day, later, now.tzinfo)
            if at > now and start <= at.time().replace(tzinfo=None) < end:
                out.append(at)
        day += timedelta(days=1)
    return out


def area_chain(code: str | None, areas: Sequence[AreaInfo]) -> list[str]:
    """The area and its ancestors, nearest first."""
    parents = {a.code: a.parent for a in areas}
    chain: list[str] = []
    while code and code not in chain:
        chain.append(code)
        code = parents.get(code)
    return chain


def serves(place: Place, area_code: str | None, areas: Sequence[AreaInfo]) -> bool:
    """Whether the place serves the area (or an ancestor of it); unknown areas see every place."""
    if area_code is None:
        return True
    served = set(place.get("areas") or ())
    return bool(served & set(area_chain(area_code, areas)))
