"""When a reminder may go out: a configured local hour, inside quiet hours, never during
Friday prayer, in the contact's own zone (WIB/WITA/WIT); stored in UTC.

The rules apply twice: when a reminder is planned (:func:`send_at`) and again when the send job
is about to queue it (:func:`deferred`), because a job that runs late (the scheduler was down,
a catch-up at night) must not send at 22:30 what was planned for 08:00."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def _hm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def allowed(local: datetime, quiet: dict) -> bool:
    start, end = _hm(quiet["start"]), _hm(quiet["end"])
    t = local.time()
    if not start <= t < end:
        return False
    if local.weekday() == 4:
        p0, p1 = (_hm(x) for x in quiet["friday_prayer"])
        if p0 <= t < p1:
            return False
    return True


def next_allowed(local: datetime, quiet: dict) -> datetime:
    """The first allowed local time at or after `local` (at most 8 days ahead)."""
    start, end = _hm(quiet["start"]), _hm(quiet["end"])
    p1 = _hm(quiet["friday_prayer"][1])
    candidate = local
    for _ in range(20):
        if allowed(candidate, quiet):
            return candidate
        t = candidate.time()
        if t < start:
            candidate = candidate.replace(
                hour=start.hour, minute=start.minute, second=0, microsecond=0
            )
        elif t >= end:
            nxt = candidate.date() + timedelta(days=1)
            candidate = datetime.combine(nxt, start, candidate.tzinfo)
        else:  # Friday prayer
            candidate = candidate.replace(hour=p1.hour, minute=p1.minute, second=0, microsecond=0)
    return candidate


def send_at(day: date, tz: str, hour: str, quiet: dict, not_before: datetime) -> datetime:
    """UTC time to send a reminder for local `day` at `hour`, not before `not_before`."""
    zone = ZoneInfo(tz)
    local = datetime.combine(day, _hm(hour), zone)
    earliest = not_before.astimezone(zone)
    if local < earliest:
        local = earliest
    return next_allowed(local, quiet).astimezone(timezone.utc)


def deferred(now: datetime, tz: str, quiet: dict) -> datetime | None:
    """None when a message may go out at `now` in zone `tz`; otherwise the next allowed
    moment (UTC) to try again."""
    local = now.astimezone(ZoneInfo(tz))
    if allowed(local, quiet):
        return None
    return next_allowed(local, quiet).astimezone(timezone.utc)
