"""Tests for nlu.dates: Indonesian date/time expressions resolved against a frozen 'now'."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from nlu.dates import MAX_TEXT_LEN, When, parse_date, resolve, resolve_first

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")
# Sunday 22 November 2026, 10:00 WIB.
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=WIB)
# Wednesday 25 November 2026, 10:00 WIB.
WED = datetime(2026, 11, 25, 10, 0, tzinfo=WIB)


def d(month: int, day: int, year: int = 2026) -> date:
    """Shorthand for a date (2026 unless given)."""
    return date(year, month, day)


def one(text: str, now: datetime = NOW, tz: str | ZoneInfo = "Asia/Jakarta") -> When:
    """Resolve text and assert it yields exactly one When covering a real slice of it."""
    found = resolve(text, now, tz)
    assert len(found) == 1, found
    when = found[0]
    assert text[when.start : when.end] == when.text
    return when


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hari ini", d(11, 22)),
        ("Hari Ini", d(11, 22)),
        ("hr ini", d(11, 22)),
        ("skrg", d(11, 22)),
        ("sekarang", d(11, 22)),
        ("besok", d(11, 23)),
        ("BESOK", d(11, 23)),
        ("bsk", d(11, 23)),
        ("besuk", d(11, 23)),
        ("sesuk", d(11, 23)),
        ("enjing", d(11, 23)),
        ("lusa", d(11, 24)),
        ("besok lusa", d(11, 24)),
        ("kemarin", d(11, 21)),
        ("kmrn", d(11, 21)),
        ("kemaren", d(11, 21)),
        ("wingi", d(11, 21)),
        ("kamari", d(11, 21)),
        ("kemarin lusa", d(11, 20)),
        ("minggu depan", d(11, 23)),
        ("mgg dpn", d(11, 23)),
        ("pekan depan", d(11, 23)),
        ("minggu lalu", d(11, 9)),
        ("bulan depan", d(12, 1)),
        ("bulan lalu", d(10, 1)),
        ("tahun depan", d(1, 1, 2027)),
        ("tahun lalu", d(1, 1, 2025)),
    ],
)
def test_relative_days(text: str, expected: date) -> None:
    when = one(text)
    assert (when.text, when.date, when.time, when.part_of_day) == (text, expected, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("senin", d(11, 23)),
        ("selasa", d(11, 24)),
        ("rabu", d(11, 25)),
        ("kamis", d(11, 26)),
        ("jumat", d(11, 27)),
        ("jum'at", d(11, 27)),
        ("jum’at", d(11, 27)),
        ("jumaat", d(11, 27)),
        ("sabtu", d(11, 28)),
        ("minggu", d(11, 29)),  # bare weekday equal to today -> next week's
        ("ahad", d(11, 29)),
        ("hari minggu", d(11, 29)),
        ("hari minggu ini", d(11, 22)),
        ("hari minggu depan", d(11, 29)),
        ("senin depan", d(11, 23)),  # next calendar week starts tomorrow
        ("jumat depan", d(11, 27)),
        ("senin minggu depan", d(11, 23)),
        ("sabtu ini", d(11, 28)),
        ("kamis lalu", d(11, 19)),
        ("senin kemarin", d(11, 16)),
        ("senin minggu lalu", d(11, 9)),
    ],
)
def test_weekdays_on_a_sunday(text: str, expected: date) -> None:
    assert one(text).date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jumat", d(11, 27)),
        ("jumat depan", d(12, 4)),
        ("rabu", d(12, 2)),
        ("rabu ini", d(11, 25)),
        ("senin", d(11, 30)),
        ("senin lalu", d(11, 23)),
        ("senin depan", d(11, 30)),
        ("senin minggu ini", d(11, 23)),
        ("minggu", d(11, 29)),
        ("hari minggu depan", d(12, 6)),
        ("minggu depan", d(11, 30)),
    ],
)
def test_weekdays_on_a_wednesday(text: str, expected: date) -> None:
    assert one(text, now=WED).date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tgl 5", d(12, 5)),
        ("tanggal 5", d(12, 5)),
        ("tgl. 5", d(12, 5)),
        ("tgl5", d(12, 5)),
        ("tgl 22", d(11, 22)),
        ("tgl 25", d(11, 25)),
        ("tgl 31", d(12, 31)),
        ("tgl 5 bulan depan", d(12, 5)),
        ("tgl 25 bulan depan", d(12, 25)),
        ("tgl 30 bulan ini", d(11, 30)),
        ("tgl 5 bulan lalu", d(10, 5)),
        ("5/12", d(12, 5)),
        ("5-12", d(12, 5)),
        ("22/11", d(11, 22)),
        ("21/11", d(11, 21, 2027)),
        ("13/5", d(5, 13, 2027)),
        ("05/12/2026", d(12, 5)),
        ("05.12.2026", d(12, 5)),
        ("12-03-2025", d(3, 12, 2025)),
        ("12/3/25", d(3, 12, 2025)),
        ("12/3/46", d(3, 12, 2046)),
        ("12/3/47", d(3, 12, 1947)),
        ("12/3/65", d(3, 12, 1965)),
        ("5 des", d(12, 5)),
        ("5des", d(12, 5)),
        ("5 desember", d(12, 5)),
        ("5 Desember 2026", d(12, 5)),
        ("12 maret 2025", d(3, 12, 2025)),
        ("3 mar 25", d(3, 3, 2025)),
        ("17 agustus", d(8, 17, 2027)),
        ("17-agustus-2025", d(8, 17, 2025)),
        ("tgl 5/12", d(12, 5)),
        ("tgl 5 des 2026", d(12, 5)),
    ],
)
def test_absolute_dates(text: str, expected: date) -> None:
    when = one(text)
    assert (when.text, when.date, when.time) == (text, expected, None)


@pytest.mark.parametrize(
    ("month_word", "month"),
    [
        ("jan", 1),
        ("januari", 1),
        ("feb", 2),
        ("februari", 2),
        ("mar", 3),
        ("apr", 4),
        ("mei", 5),
        ("jun", 6),
        ("jul", 7),
        ("agu", 8),
        ("agt", 8),
        ("ags", 8),
        ("sep", 9),
        ("okt", 10),
        ("nov", 11),
        ("nopember", 11),
        ("des", 12),
        ("Des", 12),
    ],
)
def test_month_names(month_word: str, month: int) -> None:
    assert one(f"1 {month_word} 2027").date == d(month, 1, 2027)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jam 9", time(9)),
        ("JAM 9", time(9)),
        ("jam 9 pagi", time(9)),
        ("jam 2 siang", time(14)),
        ("jam 11 siang", time(11)),
        ("jam 12 siang", time(12)),
        ("jam 4 sore", time(16)),
        ("jam 6 sore", time(18)),
        ("jam 7 malam", time(19)),
        ("jam 11 malam", time(23)),
        ("jam 12 malam", time(0)),
        ("jam 3 malam", time(3)),
        ("jam 13 pagi", time(13)),
        ("jam 09.30", time(9, 30)),
        ("jam 23.59", time(23, 59)),
        ("jam 0", time(0)),
        ("9:30", time(9, 30)),
        ("pukul 10", time(10)),
        ("pkl 13.15", time(13, 15)),
        ("jm 8", time(8)),
        ("jam 9an", time(9)),
        ("jam setengah 8", time(7, 30)),
        ("jam setengah 8 malam", time(19, 30)),
        ("jam setengah 1 siang", time(12, 30)),
        ("4 sore", time(16)),
        ("sore jam 4", time(16)),
        ("malam jam 8", time(20)),
        ("7.30 pagi", time(7, 30)),
        ("09.30 wib", time(9, 30)),
        ("jam 7 malam WIB", time(19)),
    ],
)
def test_times_without_a_date(text: str, expected: time) -> None:
    when = one(text)
    assert (when.text, when.date, when.time, when.part_of_day) == (text, None, expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pagi", "pagi"),
        ("siang", "siang"),
        ("sore", "sore"),
        ("malam", "malam"),
        ("mlm", "malam"),
        ("Malem", "malam"),
    ],
)
def test_part_of_day_alone(text: str, expected: str) -> None:
    when = one(text)
    assert (when.date, when.time, when.part_of_day) == (None, None, expected)


@pytest.mark.parametrize(
    ("text", "now", "expected_date", "pod"),
    [
        ("pagi ini", NOW, d(11, 22), "pagi"),
        ("tadi pagi", NOW, d(11, 22), "pagi"),
        ("tadi malam", NOW, d(11, 21), "malam"),
        ("nanti sore", NOW, d(11, 22), "sore"),
        ("nanti malam", NOW, d(11, 22), "malam"),
        ("nanti pagi", NOW, d(11, 22), "pagi"),
        ("nanti pagi", NOW.replace(hour=21), d(11, 23), "pagi"),
        ("besok pagi", NOW, d(11, 23), "pagi"),
        ("besok sore", NOW, d(11, 23), "sore"),
        ("jumat malam", NOW, d(11, 27), "malam"),
        ("malam minggu", NOW, d(11, 28), "malam"),
        ("malam senin", NOW, d(11, 22), "malam"),
        ("tgl 5 sore", NOW, d(12, 5), "sore"),
    ],
)
def test_part_of_day_with_a_date(text: str, now: datetime, expected_date: date, pod: str) -> None:
    when = one(text, now=now)
    assert (when.text, when.date, when.time, when.part_of_day) == (text, expected_date, None, pod)


@pytest.mark.parametrize(
    ("text", "expected_date", "expected_time"),
    [
        ("besok jam 9 pagi", d(11, 23), time(9)),
        ("besok pagi jam 9", d(11, 23), time(9)),
        ("besok sore jam 4", d(11, 23), time(16)),
        ("Besok Pagi Jam 8", d(11, 23), time(8)),
        ("hari ini jam 3 sore", d(11, 22), time(15)),
        ("jam 9 besok", d(11, 23), time(9)),
        ("besok, jam 9", d(11, 23), time(9)),
        ("besok aja jam 10", d(11, 23), time(10)),
        ("lusa sekitar jam 10", d(11, 24), time(10)),
        ("senin, 5 des pukul 10", d(12, 5), time(10)),
        ("5/12 jam 9", d(12, 5), time(9)),
        ("tgl 5 jam 9 pagi", d(12, 5), time(9)),
        ("jumat jam 2 siang", d(11, 27), time(14)),
        ("minggu jam 9", d(11, 29), time(9)),
        ("besok jam 12 malam", d(11, 24), time(0)),
        ("malam minggu jam 8", d(11, 28), time(20)),
        ("05/12/2026 jam 09.30", d(12, 5), time(9, 30)),
        ("5 Desember 2026 pukul 10.00 WIB", d(12, 5), time(10)),
        ("5 des 10 pagi", d(12, 5), time(10)),
        ("5 des 10:30", d(12, 5), time(10, 30)),
    ],
)
def test_date_and_time_together(text: str, expected_date: date, expected_time: time) -> None:
    when = one(text)
    assert (when.text, when.date, when.time, when.part_of_day) == (
        text,
        expected_date,
        expected_time,
        None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 hari lagi", d(11, 24)),
        ("3 hari lg", d(11, 25)),
        ("dua hari lagi", d(11, 24)),
        ("sehari lagi", d(11, 23)),
        ("seminggu lagi", d(11, 29)),
        ("2 mgg dpn", d(12, 6)),
        ("dalam 3 hari", d(11, 25)),
        ("5 hari ke depan", d(11, 27)),
        ("10 hari kedepan", d(12, 2)),
        ("sebulan lagi", d(12, 22)),
        ("setahun lagi", d(11, 22, 2027)),
        ("2 minggu lalu", d(11, 8)),
        ("3 hari yang lalu", d(11, 19)),
        ("3 hari yg lalu", d(11, 19)),
        ("2 bulan lalu", d(9, 22)),
        ("3 tahun lalu", d(11, 22, 2023)),
    ],
)
def test_quantities(text: str, expected: date) -> None:
    when = one(text)
    assert (when.text, when.date, when.time) == (text, expected, None)


@pytest.mark.parametrize(
    ("text", "now", "expected_date", "expected_time"),
    [
        ("2 jam lagi", NOW, d(11, 22), time(12)),
        ("30 menit lagi", NOW, d(11, 22), time(10, 30)),
        ("2 jam lalu", NOW, d(11, 22), time(8)),
        ("1 jam lagi", NOW.replace(hour=23, minute=30), d(11, 23), time(0, 30)),
    ],
)
def test_hours_and_minutes_from_now(
    text: str, now: datetime, expected_date: date, expected_time: time
) -> None:
    when = one(text, now=now)
    assert (when.date, when.time) == (expected_date, expected_time)


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (datetime(2026, 12, 28, 10, tzinfo=WIB), "tgl 5", d(1, 5, 2027)),
        (datetime(2026, 12, 28, 10, tzinfo=WIB), "tgl 30", d(12, 30)),
        (datetime(2026, 12, 28, 10, tzinfo=WIB), "5/1", d(1, 5, 2027)),
        (datetime(2026, 12, 28, 10, tzinfo=WIB), "bulan depan", d(1, 1, 2027)),
        (datetime(2026, 12, 28, 10, tzinfo=WIB), "minggu depan", d(1, 4, 2027)),
        (datetime(2026, 12, 31, 10, tzinfo=WIB), "besok", d(1, 1, 2027)),
        (datetime(2026, 12, 31, 10, tzinfo=WIB), "tgl 5 bulan depan", d(1, 5, 2027)),
        (datetime(2026, 12, 31, 10, tzinfo=WIB), "31 des", d(12, 31)),
        (datetime(2026, 12, 31, 10, tzinfo=WIB), "3 hari lagi", d(1, 3, 2027)),
        (datetime(2027, 1, 1, 10, tzinfo=WIB), "kemarin", d(12, 31)),
        (datetime(2027, 1, 31, 10, tzinfo=WIB), "bulan depan", d(2, 1, 2027)),
        (datetime(2027, 1, 31, 10, tzinfo=WIB), "sebulan lagi", d(2, 28, 2027)),
        (datetime(2027, 1, 31, 10, tzinfo=WIB), "tgl 28 bulan depan", d(2, 28, 2027)),
        (datetime(2027, 1, 31, 10, tzinfo=WIB), "tgl 31", d(1, 31, 2027)),
        (datetime(2027, 1, 31, 10, tzinfo=WIB), "tgl 30", d(3, 30, 2027)),
        (datetime(2027, 1, 31, 10, tzinfo=WIB), "sebulan lalu", d(12, 31)),
        (datetime(2026, 3, 31, 10, tzinfo=WIB), "sebulan lalu", d(2, 28)),
        (datetime(2028, 1, 31, 10, tzinfo=WIB), "sebulan lagi", d(2, 29, 2028)),
        (datetime(2028, 1, 15, 10, tzinfo=WIB), "tgl 29 bulan depan", d(2, 29, 2028)),
        (datetime(2028, 2, 29, 10, tzinfo=WIB), "setahun lagi", d(2, 28, 2029)),
    ],
)
def test_month_and_year_rollover(now: datetime, text: str, expected: date) -> None:
    assert one(text, now=now).date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29/2/2028", d(2, 29, 2028)),
        ("29-02-2028", d(2, 29, 2028)),
        ("29 feb 2028", d(2, 29, 2028)),
        ("29/2/2000", d(2, 29, 2000)),
        ("29/2", d(2, 29, 2028)),
    ],
)
def test_leap_day_valid(text: str, expected: date) -> None:
    assert one(text).date == expected


@pytest.mark.parametrize(
    "text",
    [
        "29/2/2027",
        "29 februari 2027",
        "29/2/2100",
        "31/02",
        "31/2/2026",
        "31/04/2026",
        "31 nov",
        "31 november 2026",
        "32 des",
        "tgl 32",
        "tgl 0",
        "0/5",
        "5/13",
        "1/1/1899",
        "jam 25",
        "jam 24",
        "jam 9.75",
        "jam setengah 30",
        "31/02 jam 9",
        "besok jam 25",
    ],
)
def test_impossible_dates_and_times_yield_nothing(text: str) -> None:
    assert resolve(text, NOW) == []


def test_impossible_month_day_for_next_month_yields_nothing() -> None:
    assert resolve("tgl 31 bulan depan", datetime(2027, 1, 31, 10, tzinfo=WIB)) == []
    assert resolve("tgl 29 bulan depan", datetime(2027, 1, 15, 10, tzinfo=WIB)) == []


def test_impossible_span_does_not_hide_other_expressions() -> None:
    found = resolve("tgl 32 tidak ada, jadi besok saja", NOW)
    assert [(w.text, w.date) for w in found] == [("besok", d(11, 23))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Bu, saya bisa datang besok jam 9 pagi ya",
            [("besok jam 9 pagi", 21, 37, d(11, 23), time(9), None)],
        ),
        (
            "kemarin demam, besok kontrol jam 8",
            [
                ("kemarin", 0, 7, d(11, 21), None, None),
                ("besok", 15, 20, d(11, 23), None, None),
                ("jam 8", 29, 34, None, time(8), None),
            ],
        ),
        (
            "jam 7 sampai jam 9",
            [("jam 7", 0, 5, None, time(7), None), ("jam 9", 13, 18, None, time(9), None)],
        ),
        (
            "besok dan lusa",
            [("besok", 0, 5, d(11, 23), None, None), ("lusa", 10, 14, d(11, 24), None, None)],
        ),
        ("😀 besok", [("besok", 2, 7, d(11, 23), None, None)]),
        ("İİ besok", [("besok", 3, 8, d(11, 23), None, None)]),
        ("selamat pagi, besok jam 9 bisa?", [("besok jam 9", 14, 25, d(11, 23), time(9), None)]),
        ("besok\u200bjam 9", [("besok\u200bjam 9", 0, 11, d(11, 23), time(9), None)]),
        ("besok\x00pagi", [("besok\x00pagi", 0, 10, d(11, 23), None, "pagi")]),
        ("jam 9-10", [("jam 9", 0, 5, None, time(9), None)]),
    ],
)
def test_spans_and_offsets(text: str, expected: list[tuple]) -> None:
    found = resolve(text, NOW)
    got = [(w.text, w.start, w.end, w.date, w.time, w.part_of_day) for w in found]
    assert got == expected
    assert all(text[w.start : w.end] == w.text for w in found)


@pytest.mark.parametrize(
    ("utc_now", "tz", "today"),
    [
        (datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc), "Asia/Jakarta", d(11, 23)),
        (datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc), "Asia/Makassar", d(11, 23)),
        (datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc), "Asia/Jayapura", d(11, 23)),
        (datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc), "Asia/Jakarta", d(11, 22)),
        (datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc), "Asia/Makassar", d(11, 23)),
        (datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc), WIT, d(11, 23)),
        (datetime(2026, 11, 22, 14, 59, tzinfo=timezone.utc), "Asia/Jayapura", d(11, 22)),
        (datetime(2026, 11, 22, 15, 0, tzinfo=timezone.utc), "Asia/Jayapura", d(11, 23)),
    ],
)
def test_now_is_converted_into_the_contact_zone(
    utc_now: datetime, tz: str | ZoneInfo, today: date
) -> None:
    assert one("hari ini", now=utc_now, tz=tz).date == today
    assert one("besok", now=utc_now, tz=tz).date == date.fromordinal(today.toordinal() + 1)
    assert one("kemarin", now=utc_now, tz=tz).date == date.fromordinal(today.toordinal() - 1)


def test_late_utc_is_already_monday_in_wib() -> None:
    late = datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc)
    assert one("senin", now=late).date == d(11, 30)  # today is Monday in WIB -> next Monday
    assert one("minggu depan", now=late).date == d(11, 30)
    assert one("tgl 23", now=late).date == d(11, 23)
    assert parse_date("senin", late, past=True) == d(11, 16)


def test_same_instant_in_any_zone_gives_the_same_answer() -> None:
    texts = "besok jam 9 dan tgl 5 atau senin dan 2 jam lagi"
    as_utc = resolve(texts, NOW.astimezone(timezone.utc), "Asia/Jayapura")
    as_wit = resolve(texts, NOW.astimezone(WIT), WIT)
    as_wib = resolve(texts, NOW, "Asia/Jayapura")
    assert as_utc == as_wit == as_wib
    assert [w.text for w in as_wib] == ["besok jam 9", "tgl 5", "senin", "2 jam lagi"]
    assert as_wib[-1].time == time(14)  # 10:00 WIB is 12:00 WIT, plus two hours


@pytest.mark.parametrize(
    ("text", "tz", "expected_date", "expected_time"),
    [
        ("besok jam 9 WIB", "Asia/Jayapura", d(11, 23), time(11)),
        ("besok jam 9 WIT", "Asia/Jakarta", d(11, 23), time(7)),
        ("besok jam 1 WIT", "Asia/Jakarta", d(11, 22), time(23)),
        ("besok jam 9 WITA", "Asia/Makassar", d(11, 23), time(9)),
        ("jam 9 pagi WITA", "Asia/Jakarta", None, time(8)),
    ],
)
def test_written_zone_is_converted(
    text: str, tz: str, expected_date: date | None, expected_time: time
) -> None:
    when = one(text, tz=tz)
    assert (when.date, when.time) == (expected_date, expected_time)


@pytest.mark.parametrize(
    ("text", "past", "expected"),
    [
        ("12-03-2025", True, d(3, 12, 2025)),
        ("12/3/25", True, d(3, 12, 2025)),
        ("12 maret 2025", True, d(3, 12, 2025)),
        ("3 mar 25", True, d(3, 3, 2025)),
        ("kemarin", True, d(11, 21)),
        ("2 minggu lalu", True, d(11, 8)),
        ("tgl 5", True, d(11, 5)),
        ("tgl 5", False, d(12, 5)),
        ("tgl 22", True, d(11, 22)),
        ("tgl 25", True, d(10, 25)),
        ("tgl 31", True, d(10, 31)),
        ("5/12", True, d(12, 5, 2025)),
        ("5/12", False, d(12, 5)),
        ("5 des", True, d(12, 5, 2025)),
        ("senin", True, d(11, 16)),
        ("minggu", True, d(11, 15)),
        ("29/2", True, d(2, 29, 2024)),
        ("12/3/30", True, d(3, 12, 1930)),
        ("12/3/30", False, d(3, 12, 2030)),
        ("12/3/26", True, d(3, 12, 2026)),
        ("lahir 12/3/65", True, d(3, 12, 1965)),
        ("HPHT saya tgl 5 bulan lalu", True, d(10, 5)),
        ("jam 9, tgl 5", True, d(11, 5)),
        ("tidak tahu", True, None),
        ("jam 9", True, None),
        ("", True, None),
        ("31/02/2025", True, None),
    ],
)
def test_parse_date(text: str, past: bool, expected: date | None) -> None:
    assert parse_date(text, NOW, past=past) == expected


def test_parse_date_uses_the_contact_zone() -> None:
    late = datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)
    assert parse_date("kemarin", late, "Asia/Jakarta") == d(11, 21)
    assert parse_date("kemarin", late, "Asia/Makassar") == d(11, 22)


def test_resolve_first() -> None:
    first = resolve_first("besok atau lusa", NOW)
    assert first is not None and (first.text, first.date) == ("besok", d(11, 23))
    assert resolve_first("tidak bisa", NOW) is None
    assert resolve_first("besok", datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc), WITA) == (
        When("besok", 0, 5, d(11, 24), None, None)
    )


@pytest.mark.parametrize(
    "text",
    [
        "selamat pagi bu",
        "Selamat malam",
        "met sore",
        "jam besuk",
        "minum 1/2 tablet",
        "demam 5-6 hari",
        "5-6 jam",
        "0812-3456-7890",
        "Rp 10.000",
        "berat 3.50 kg",
        "sudah 2 minggu",
        "tiap minggu",
        "setiap minggu",
        "minggu ke-2",
        "minggu ini",
        "besoknya",
        "kemarinan",
        "seharian",
        "3 hari",
        "semalam",
        "desa",
        "ok",
    ],
)
def test_not_a_date_or_time(text: str) -> None:
    assert resolve(text, NOW) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "👍🏽",
        "\x00\x01\x02\x1b[0m",
        "\u200b\u200d\ufeff",
        "a" * 5000,
        "besok " + "a" * 5000,
        "besok " + "x" * MAX_TEXT_LEN,
        None,
        123,
        b"besok",
    ],
)
def test_bad_input_returns_nothing(text: object) -> None:
    assert resolve(text, NOW) == []  # type: ignore[arg-type]
    assert resolve_first(text, NOW) is None  # type: ignore[arg-type]
    assert parse_date(text, NOW, past=True) is None  # type: ignore[arg-type]


def test_text_at_the_length_limit_is_still_read() -> None:
    text = "besok" + " " * (MAX_TEXT_LEN - 5)
    assert [w.date for w in resolve(text, NOW)] == [d(11, 23)]


@pytest.mark.parametrize(
    "text",
    [
        "1" + " " * 1998 + "x",
        "5" + " " * 1998 + "-",
        "jam " * 500,
        "1/" * 1000,
        "2 minggu " * 222,
        "tgl " * 500,
        "1." * 1000,
        "9 " * 1000,
        ("besok jam 9 pagi, tgl 5/12 " * 80)[:MAX_TEXT_LEN],
    ],
)
def test_long_inputs_are_read_without_error(text: str) -> None:
    """Their speed (no runaway regex) is measured by bench/long_input.py."""
    found = resolve(text, NOW)
    assert isinstance(found, list)
    assert all(isinstance(w, When) for w in found)
    past = parse_date(text, NOW, past=True)
    assert past is None or isinstance(past, date)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        resolve("besok", datetime(2026, 11, 22, 10, 0))


def test_local_datetime() -> None:
    assert one("besok jam 9").local_datetime(WIB) == datetime(2026, 11, 23, 9, tzinfo=WIB)
    assert one("besok pagi").local_datetime(WIB) == datetime(2026, 11, 23, 8, tzinfo=WIB)
    assert one("besok malam").local_datetime(WIB) == datetime(2026, 11, 23, 19, tzinfo=WIB)
    assert one("besok").local_datetime(WIB) == datetime(2026, 11, 23, 0, tzinfo=WIB)
    wit = one("besok jam 9", tz=WIT).local_datetime("Asia/Jayapura")
    assert wit is not None and wit.utcoffset() is not None
    assert wit.astimezone(timezone.utc) == datetime(2026, 11, 23, 0, tzinfo=timezone.utc)
    assert one("jam 9").local_datetime(WIB) is None
    assert one("pagi").local_datetime(WIB) is None


def test_when_is_frozen() -> None:
    when = one("besok")
    with pytest.raises(dataclasses.FrozenInstanceError):
        when.date = d(1, 1)  # type: ignore[misc]
