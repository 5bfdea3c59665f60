from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from scheduler.sendtime import deferred, next_allowed, send_at

QUIET = {"start": "07:00", "end": "20:00", "friday_prayer": ["11:30", "13:00"]}
NOW = datetime(2026, 11, 22, 0, 0, tzinfo=timezone.utc)  # 07:00 WIB


@pytest.mark.parametrize(
    ("day", "tz", "hour", "expected_utc"),
    [
        (date(2026, 11, 23), "Asia/Jakarta", "08:00", datetime(2026, 11, 23, 1, 0)),
        (date(2026, 11, 23), "Asia/Makassar", "08:00", datetime(2026, 11, 23, 0, 0)),
        (date(2026, 11, 23), "Asia/Jayapura", "08:00", datetime(2026, 11, 22, 23, 0)),
        (date(2026, 11, 23), "Asia/Jakarta", "05:00", datetime(2026, 11, 23, 0, 0)),  # 07:00
        (date(2026, 11, 23), "Asia/Jakarta", "21:00", datetime(2026, 11, 24, 0, 0)),
        (date(2026, 11, 27), "Asia/Jakarta", "12:00", datetime(2026, 11, 27, 6, 0)),  # Fri 13:00
        (date(2026, 11, 28), "Asia/Jakarta", "12:00", datetime(2026, 11, 28, 5, 0)),  # Sat ok
        (date(2026, 1, 1), "Asia/Jakarta", "08:00", datetime(2026, 11, 22, 0, 0)),  # past: now
    ],
)
def test_send_at(day, tz, hour, expected_utc):
    got = send_at(day, tz, hour, QUIET, NOW)
    assert got == expected_utc.replace(tzinfo=timezone.utc)


def test_next_allowed_late_evening_moves_to_next_morning():
    local = datetime(2026, 11, 22, 22, 30, tzinfo=timezone.utc)
    assert next_allowed(local, QUIET).hour == 7
    assert next_allowed(local, QUIET).day == 23


WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def _utc(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (_utc(2026, 11, 22, 15, 30), WIB, _utc(2026, 11, 23, 0, 0)),  # 22:30 WIB -> 07:00 WIB
        (_utc(2026, 11, 22, 15, 30), WITA, _utc(2026, 11, 22, 23, 0)),  # 23:30 WITA -> 07:00
        (_utc(2026, 11, 22, 15, 30), WIT, _utc(2026, 11, 22, 22, 0)),  # 00:30 WIT -> 07:00
        (_utc(2026, 11, 22, 23, 30), WIB, _utc(2026, 11, 23, 0, 0)),  # 06:30 WIB -> 07:00
        (_utc(2026, 11, 22, 23, 30), WIT, None),  # 08:30 WIT: allowed
        (_utc(2026, 11, 22, 12, 59), WIB, None),  # 19:59 WIB: allowed
        (_utc(2026, 11, 22, 13, 0), WIB, _utc(2026, 11, 23, 0, 0)),  # 20:00 WIB: too late
        (_utc(2026, 11, 27, 5, 0), WIB, _utc(2026, 11, 27, 6, 0)),  # Fri 12:00 -> 13:00 WIB
        (_utc(2026, 11, 27, 4, 30), WIB, _utc(2026, 11, 27, 6, 0)),  # Fri 11:30 WIB
        (_utc(2026, 11, 27, 4, 29), WIB, None),  # Fri 11:29 WIB
        (_utc(2026, 11, 27, 4, 0), WIT, None),  # Fri 13:00 WIT: prayer over there
        (_utc(2026, 11, 27, 3, 0), WIT, _utc(2026, 11, 27, 4, 0)),  # Fri 12:00 WIT -> 13:00 WIT
        (_utc(2026, 11, 28, 5, 0), WIB, None),  # Saturday noon
    ],
)
def test_deferred_checks_the_contacts_zone_at_the_moment_of_sending(now, tz, expected):
    assert deferred(now, tz, QUIET) == expected


def test_next_allowed_drops_seconds_and_microseconds():
    local = datetime(2026, 11, 27, 12, 5, 17, 123456, tzinfo=ZoneInfo(WIB))  # Friday prayer
    assert next_allowed(local, QUIET) == datetime(2026, 11, 27, 13, 0, tzinfo=ZoneInfo(WIB))
