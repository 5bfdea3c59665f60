from datetime import date, datetime, timezone

import pytest

from scheduler.sendtime import next_allowed, send_at

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
