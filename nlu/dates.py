"""Resolve Indonesian date and time expressions in resident messages to local dates and times."""

# Design choices (ambiguities resolved deliberately; tests pin every one of them):
# - The module never reads the clock: `now` must be timezone-aware (ValueError otherwise) and is
#   converted into the contact's zone first, so "besok" at 23:30 UTC is already WIB's next day.
#   An unknown zone name raises ZoneInfoNotFoundError; message text never makes the module raise.
# - Day-first always: "5/12" is 5 December. Two-digit years map to 20YY unless that is more than
#   20 years ahead (then 19YY); with past=True they map to 19YY whenever 20YY is in the future.
# - Bare weekday: the next occurrence strictly after today, so saying "minggu" on a Sunday means
#   next Sunday (say "hari ini" or "hari minggu ini" for today). "<hari> ini" is the next
#   occurrence including today; "<hari> minggu ini" is that day in the current calendar week.
#   "<hari> depan" / "<hari> minggu depan" is that day in the next Monday-to-Sunday week;
#   "<hari> lalu/kemarin" is the latest one strictly before today.
#   With past=True (parse_date only) a bare weekday is the latest one strictly before today.
# - "minggu" alone is Sunday, except where it means "week": after a number or per/tiap/setiap,
#   before "ke-", or in "minggu depan/lalu/ini" (say "hari minggu depan" for next week's Sunday).
# - "minggu depan"/"pekan depan" is Monday of next week, "minggu lalu" Monday of last week;
#   "bulan depan"/"bulan lalu" is the 1st of that month; "tahun depan"/"tahun lalu" is 1 January.
# - "N bulan/tahun lagi|lalu" and "sebulan lagi" keep the day of month, clamped to the month end
#   (31 Jan + sebulan = 28/29 Feb). "N jam/menit lagi|lalu" yields both a date and a time.
# - "tgl N" (and "N/M", "N des" without a year) is the next date with that day (and month) on or
#   after today, skipping months or years where it does not exist ("tgl 31" in November ->
#   31 December; "29/2" in 2026 -> 29 Feb 2028); with past=True it is the latest one on or before
#   today. "tgl N bulan depan/ini/lalu" pins the month; a day that month lacks yields nothing.
# - Times: "jam/jm/pukul/pkl H[.:MM]", "jam setengah H" (H-1:30), "H:MM", "HH.MM" only when followed
#   by a part of day or zone, and "H pagi/siang/sore/malam" (H 1-12). Part-of-day conversion:
#   siang adds 12 to 1-5, sore adds 12 to 1-11, malam adds 12 to 6-11, "12 malam" is 00:00 of the
#   following day; hours 13-23 are kept as said. Hours above 23 or minutes above 59 yield nothing.
# - A time without a date (e.g. "jam 9") has date None; the caller decides which day is meant.
# - "pagi/siang/sore/malam" alone set part_of_day with date None; "<pod> ini" and "tadi <pod>" are
#   today, "tadi malam" is yesterday, "nanti <pod>" is today unless that part of day is already over
#   (then tomorrow). Greetings ("selamat pagi", "met malam") are not times. "malam <hari>" is the
#   evening before that day ("malam minggu" is Saturday evening).
# - A zone written after a time (WIB/WITA/WIT) is converted to the contact's zone.
# - Adjacent pieces separated only by spaces, commas or one filler word ("pada", "aja") form one
#   When: "besok pagi jam 9", "senin, 5 des pukul 10". An explicit date wins over a relative day,
#   which wins over a weekday ("senin 7 des" uses 7 December even if it is not a Monday).
# - A span that looks like a date or time but is impossible ("31/02", "tgl 32", "jam 25") yields
#   nothing, and so does everything joined to it ("31/02 jam 9" gives no When at all).
# - Texts longer than MAX_TEXT_LEN characters, or that are not strings, give [] without scanning.
# - Known false positives kept on purpose: fractions such as "1/2" read as dates unless a unit
#   follows ("1/2 tablet"), "besuk" (Javanese "tomorrow") also means "visit", and "lalu" can mean
#   "then"; callers should use this module where a date or time answer is expected.

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["MAX_TEXT_LEN", "When", "parse_date", "resolve", "resolve_first"]

MAX_TEXT_LEN = 2000

_POD_CANON = {
    "pagi": "pagi",
    "siang": "siang",
    "sore": "sore",
    "malam": "malam",
    "malem": "malam",
    "mlm": "malam",
}
_POD_HOUR = {"pagi": 8, "siang": 12, "sore": 16, "malam": 19}
_POD_END = {"pagi": 11, "siang": 15, "sore": 18, "malam": 24}
_ZONE_OFFSET = {"wib": 7, "wita": 8, "wit": 9}
_WEEKDAYS = {
    "senin": 0,
    "selasa": 1,
    "rabu": 2,
    "kamis": 3,
    "jumat": 4,
    "sabtu": 5,
    "minggu": 6,
    "ahad": 6,
}
_MONTHS = {
    1: ("januari", "jan"),
    2: ("februari", "pebruari", "feb", "peb"),
    3: ("maret", "mar"),
    4: ("april", "apr"),
    5: ("mei",),
    6: ("juni", "jun"),
    7: ("juli", "jul"),
    8: ("agustus", "agust", "agus", "agu", "agt", "ags", "aug"),
    9: ("september", "sept", "sep"),
    10: ("oktober", "okt", "oct"),
    11: ("november", "nopember", "nov", "nop"),
    12: ("desember", "des", "dec"),
}
_MONTH_BY_NAME = {name: num for num, names in _MONTHS.items() for name in names}
# Indonesian number words as a count ("tiga hari", "se-minggu"): dates and triage ages read
# them from here.
NUMBER_WORDS = {
    "se": 1,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
}

_FLAGS = re.IGNORECASE
_POD = r"pagi|siang|sore|malam|malem|mlm"
_ZONE = r"wita|wib|wit"
_MON = "|".join(sorted(_MONTH_BY_NAME, key=len, reverse=True))
_WD = r"senin|selasa|rabu|kamis|jum(?:['’]|a)?at|jmt|sabtu|minggu|ahad"
_TGL = r"(?:(?<!\w)(?:tanggal|tangal|tggl|tgl|tg)\.?\s*)"
_NUM_START = r"(?<![0-9/.:,-])(?<![^\W\d_])"
_UNITS_AFTER = (
    r"(?!\s*(?:hari|hr|minggu|mgg|bulan|bln|tahun|thn|jam(?!\s*[0-9])|menit|kali|x|orang|org|kg|"
    r"gram|gr|mg|ml|cc|cm|mm|tablet|tab|butir|kapsul|sdm|sdt|bungkus|botol|%)(?!\w))"
)
_TIME_TAIL = (
    rf"(?:\s*(?P<zone1>{_ZONE})(?!\w))?(?:\s*(?P<pod>{_POD})(?!\w))?"
    rf"(?:\s*(?P<zone2>{_ZONE})(?!\w))?"
)

_GAP = re.compile(
    r"[\s,;–—-]*(?:(?:pada|pd|sekitar|sktr|skitar|kira-kira|kira2|kurang\s+lebih|kurleb|mulai"
    r"|aja|saja|sj|ya|yah|deh|sih)[\s,;]*)?",
    _FLAGS,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060\ufeff]")
_WEEK_WORD_BEFORE = re.compile(
    r"(?:[0-9]|(?<!\w)(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|belas|"
    r"puluh|per|tiap|setiap|beberapa|berapa|bbrp|brp))\s*$",
    _FLAGS,
)
_WEEK_WORD_AFTER = re.compile(r"\s*(?:ke(?:\W|[0-9]|dua|tiga|empat|lima)|pertama|terakhir)", _FLAGS)


@dataclass(frozen=True)
class When:
    """One resolved date/time expression found in a message."""

    text: str
    start: int
    end: int
    date: date | None
    time: time | None
    part_of_day: str | None

    def local_datetime(self, tz: str | tzinfo) -> datetime | None:
        """Return an aware datetime (part-of-day default hour or midnight if no time), else None."""
        if self.date is None:
            return None
        clock = self.time
        if clock is None:
            clock = time(_POD_HOUR[self.part_of_day]) if self.part_of_day else time(0)
        return datetime.combine(self.date, clock, tzinfo=_zone(tz))


@dataclass
class _Part:
    """One matched piece (date, time or part of day) before adjacent pieces are joined."""

    start: int
    end: int
    tier: int = 0
    day: date | None = None
    hour: int | None = None
    minute: int = 0
    exact: bool = False
    pod: str | None = None
    zone: int | None = None
    invalid: bool = False


@dataclass(frozen=True)
class _Ctx:
    """Resolution context: the local 'now' in the contact's zone and the past/future preference."""

    now: datetime
    today: date
    offset: timedelta
    past: bool


def _zone(tz: str | tzinfo) -> tzinfo:
    """Return a tzinfo for a zone name or pass a tzinfo through."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _valid(year: int, month: int, day: int) -> bool:
    """Tell whether the year/month/day triple is a real calendar date."""
    return 1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= _month_len(year, month)


def _month_len(year: int, month: int) -> int:
    """Return the number of days in a month."""
    return calendar.monthrange(year, month)[1]


def _add_months(base: date, months: int) -> date:
    """Shift a date by whole months, clamping the day to the target month's length."""
    index = base.year * 12 + base.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(base.day, _month_len(year, month + 1)))


def _month_start(base: date, months: int) -> date:
    """Return the first day of the month `months` away from base."""
    year, month = divmod(base.year * 12 + base.month - 1 + months, 12)
    return date(year, month + 1, 1)


def _monday(base: date, weeks: int = 0) -> date:
    """Return the Monday of base's calendar week shifted by whole weeks."""
    return base - timedelta(days=base.weekday()) + timedelta(weeks=weeks)


def _pod(word: str | None) -> str | None:
    """Normalise a part-of-day word."""
    return _POD_CANON[word.lower()] if word else None


def _number(word: str) -> int:
    """Turn digits or an Indonesian number word (1-10, 'se-') into an int."""
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def _next_day_of_month(day: int, ctx: _Ctx) -> date | None:
    """Return the nearest date with this day of month on/after (or on/before if past) today."""
    step = -1 if ctx.past else 1
    for months in range(0, 13 * step, step):
        first = _month_start(ctx.today, months)
        if _valid(first.year, first.month, day):
            found = first.replace(day=day)
            if (found <= ctx.today) if ctx.past else (found >= ctx.today):
                return found
    return None


def _next_day_month(day: int, month: int, ctx: _Ctx) -> date | None:
    """Return the nearest date with this day and month on/after (or on/before if past) today."""
    if not (1 <= month <= 12 and 1 <= day <= _month_len(2000, month)):
        return None
    step = -1 if ctx.past else 1
    for years in range(0, 9 * step, step):
        year = ctx.today.year + years
        if _valid(year, month, day):
            found = date(year, month, day)
            if (found <= ctx.today) if ctx.past else (found >= ctx.today):
                return found
    return None


def _full_year(raw: str, month: int, day: int, ctx: _Ctx) -> int:
    """Expand a written year; two digits pick a century per the module's pivot rule."""
    year = int(raw)
    if len(raw) != 2:
        return year
    year += 2000
    if ctx.past:
        return (
            year - 100
            if (year, month, day) > (ctx.today.year, ctx.today.month, ctx.today.day)
            else year
        )
    return year - 100 if year > ctx.today.year + 20 else year


def _dated(match: re.Match, day: date | None, tier: int) -> _Part:
    """Build a date part, or an invalid (blocking) part when the date does not exist."""
    if day is None:
        return _Part(match.start(), match.end(), tier=tier, invalid=True)
    return _Part(match.start(), match.end(), tier=tier, day=day)


def _on_relative_day(match: re.Match, ctx: _Ctx) -> _Part:
    """Handle hari ini / besok / lusa / kemarin and their slang and regional forms."""
    offsets = {"p2": 2, "m2": -2, "z": 0, "p1": 1, "m1": -1}
    shift = next(value for key, value in offsets.items() if match.group(key))
    return _dated(match, ctx.today + timedelta(days=shift), 2)


def _on_relative_period(match: re.Match, ctx: _Ctx) -> _Part:
    """Handle minggu/bulan/tahun depan and lalu as the start of that period."""
    unit = match.group("unit").lower()
    step = 1 if match.group("dir").lower() in ("depan", "dpn", "dpan") else -1
    if unit in ("minggu", "mgg", "pekan", "pkn"):
        return _dated(match, _monday(ctx.today, step), 2)
    if unit in ("bulan", "bln"):
        return _dated(match, _month_start(ctx.today, step), 2)
    return _dated(match, date(ctx.today.year + step, 1, 1), 2)


def _on_quantity(match: re.Match, ctx: _Ctx) -> _Part | None:
    """Handle 'N hari/minggu/bulan/tahun/jam/menit lagi|lalu' and 'dalam N ...'."""
    direction = (match.group("dir") or "").lower()
    if not direction and not match.group("dalam"):
        return None
    backwards = (
        "lalu" in direction or "lewat" in direction or direction in ("yll", "yl", "sebelumnya")
    )
    count = (-1 if backwards else 1) * _number(match.group("n"))
    unit = match.group("unit").lower()
    if unit in ("jam", "jm", "menit", "mnt"):
        delta = timedelta(hours=count) if unit in ("jam", "jm") else timedelta(minutes=count)
        moment = (ctx.now.astimezone(timezone.utc) + delta).astimezone(ctx.now.tzinfo)
        moment = moment.replace(second=0, microsecond=0)
        return _Part(
            match.start(),
            match.end(),
            tier=2,
            day=moment.date(),
            hour=moment.hour,
            minute=moment.minute,
            exact=True,
        )
    if unit in ("bulan", "bln"):
        return _dated(match, _add_months(ctx.today, count), 2)
    if unit in ("tahun", "thn"):
        return _dated(match, _add_months(ctx.today, 12 * count), 2)
    days = count * 7 if unit in ("minggu", "mgg", "pekan") else count
    return _dated(match, ctx.today + timedelta(days=days), 2)


def _on_weekday(match: re.Match, ctx: _Ctx) -> _Part | None:
    """Handle weekday names with optional hari/malam prefix and ini/depan/lalu suffix."""
    word = match.group("wd").lower()
    weekday = 4 if word.startswith("j") else _WEEKDAYS[word]
    mod = " ".join((match.group("mod") or "").lower().split())
    eve = bool(match.group("eve"))
    if word == "minggu" and not match.group("hari") and not eve:
        before = match.string[max(0, match.start() - 20) : match.start()]
        if (
            mod
            or _WEEK_WORD_BEFORE.search(before)
            or _WEEK_WORD_AFTER.match(match.string, match.end())
        ):
            return None
    today = ctx.today
    ahead = (weekday - today.weekday()) % 7
    behind = (today.weekday() - weekday) % 7
    if mod in ("depan", "dpn") or mod.endswith(("depan", "dpn")):
        day = _monday(today, 1) + timedelta(days=weekday)
    elif mod == "ini":
        day = today + timedelta(days=ahead)
    elif mod.endswith("ini"):
        day = _monday(today) + timedelta(days=weekday)
    elif mod and mod.split()[0] in ("minggu", "mgg", "pekan"):
        day = _monday(today, -1) + timedelta(days=weekday)
    elif mod or ctx.past:
        day = today - timedelta(days=behind or 7)
    else:
        day = today + timedelta(days=ahead or 7)
    if eve:
        return _Part(match.start(), match.end(), tier=1, day=day - timedelta(days=1), pod="malam")
    return _Part(match.start(), match.end(), tier=1, day=day)


def _on_tgl(match: re.Match, ctx: _Ctx) -> _Part:
    """Handle 'tgl N' with an optional 'bulan depan/ini/lalu'."""
    day = int(match.group("d"))
    rel = " ".join((match.group("rel") or "").lower().split())
    if not rel:
        found = _next_day_of_month(day, ctx) if 1 <= day <= 31 else None
        return _dated(match, found, 3)
    shift = 1 if rel.endswith(("depan", "dpn")) else 0 if rel.endswith("ini") else -1
    first = _month_start(ctx.today, shift)
    found = first.replace(day=day) if _valid(first.year, first.month, day) else None
    return _dated(match, found, 3)


def _on_dmy(match: re.Match, ctx: _Ctx) -> _Part:
    """Handle numeric day-month(-year) dates and day + month-name (+ year) dates."""
    day = int(match.group("d"))
    mon = match.group("m")
    month = int(mon) if mon.isdigit() else _MONTH_BY_NAME[mon.lower()]
    raw_year = match.group("y")
    if raw_year is None:
        return _dated(match, _next_day_month(day, month, ctx), 3)
    year = _full_year(raw_year, month, day, ctx)
    ok = 1900 <= year <= 2100 and _valid(year, month, day)
    return _dated(match, date(year, month, day) if ok else None, 3)


def _timed(match: re.Match, hour: int, minute: int) -> _Part:
    """Build a time part from raw clock values, or an invalid part if they are impossible."""
    groups = match.groupdict()
    zone = groups.get("zone1") or groups.get("zone2")
    part = _Part(
        match.start(),
        match.end(),
        hour=hour,
        minute=minute,
        pod=_pod(match.group("pod")),
        zone=_ZONE_OFFSET[zone.lower()] if zone else None,
    )
    part.invalid = not (0 <= hour <= 23 and 0 <= minute <= 59)
    return part


def _on_jam(match: re.Match, ctx: _Ctx) -> _Part:
    """Handle 'jam/jm/pukul/pkl H[.MM]' and 'jam setengah H'."""
    hour = int(match.group("h"))
    minute = int(match.group("mi") or 0)
    if match.group("half"):
        if match.group("mi") or not 1 <= hour <= 24:
            return _Part(match.start(), match.end(), hour=-1, invalid=True)
        hour, minute = (12 if hour == 1 else hour - 1), 30
    return _timed(match, hour, minute)


def _on_clock(match: re.Match, ctx: _Ctx) -> _Part | None:
    """Handle bare 'H:MM' and 'HH.MM' (the dotted form needs a part of day or zone after it)."""
    if match.group("sep") == "." and not (
        match.group("pod") or match.group("zone1") or match.group("zone2")
    ):
        return None
    return _timed(match, int(match.group("h")), int(match.group("mi")))


def _on_hour_pod(match: re.Match, ctx: _Ctx) -> _Part | None:
    """Handle a bare hour followed by a part of day, such as '4 sore'."""
    hour = int(match.group("h"))
    return _timed(match, hour, 0) if 1 <= hour <= 12 else None


def _on_pod(match: re.Match, ctx: _Ctx) -> _Part:
    """Handle a part of day alone, optionally with nanti/tadi before or 'ini' after it."""
    pod = _pod(match.group("pod"))
    pre = (match.group("pre") or "").lower()
    part = _Part(match.start(), match.end(), pod=pod)
    if pre in ("tadi", "td"):
        part.tier, part.day = 2, ctx.today - timedelta(days=1 if pod == "malam" else 0)
    elif pre:
        late = ctx.now.hour >= _POD_END[pod]
        part.tier, part.day = 2, ctx.today + timedelta(days=1 if late else 0)
    elif match.group("ini"):
        part.tier, part.day = 2, ctx.today
    return part


_Handler = Callable[[re.Match, _Ctx], _Part | None]
_RULES: list[tuple[re.Pattern, _Handler]] = [
    (
        re.compile(
            r"(?<!\w)(?:(?P<p2>besok\s+lusa|lusa)|(?P<m2>kemarin\s+(?:lusa|dulu))"
            r"|(?P<z>hari\s*ini|hr\s+ini|hri\s+ini|sekarang|skrg|skrng|skarang|saat\s+ini)"
            r"|(?P<p1>besok|bsk|(?<!jam\s)besuk|esok|sesuk|isukan|[eé]njing|benjing|mbenjing)"
            r"|(?P<m1>kemarin|kemaren|kemar[eé]n|kmrn|kmrin|kmren|wingi|kamari))(?!\w)",
            _FLAGS,
        ),
        _on_relative_day,
    ),
    (
        re.compile(
            r"(?<!\w)(?P<unit>minggu|mgg|pekan|pkn|bulan|bln|tahun|thn)\s*"
            r"(?P<dir>depan|dpn|dpan|lalu|kemarin|kemaren|kmrn)(?!\w)",
            _FLAGS,
        ),
        _on_relative_period,
    ),
    (
        re.compile(
            r"(?<![0-9/.:,-])(?<!\w)(?:(?P<dalam>dalam|dlm)\s+)?"
            r"(?P<n>[0-9]{1,4}|se|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh)\s*"
            r"(?P<unit>hari|hr|hri|minggu|mgg|pekan|bulan|bln|tahun|thn|jam|jm|menit|mnt)(?!\w)"
            r"(?:\s*(?P<dir>lagi|lg|lgi|ke\s*depan|mendatang|depan|dpn|(?:yang|yg)\s+lalu|lalu|yll|yl"
            r"|sebelumnya|(?:yang|yg)\s+lewat)(?!\w))?",
            _FLAGS,
        ),
        _on_quantity,
    ),
    (
        re.compile(
            rf"(?<!\w)(?P<eve>(?:malam|malem|mlm)\s+)?(?:(?P<hari>hari|hr)\s+)?(?P<wd>{_WD})(?!\w)"
            r"(?:\s*(?P<mod>depan|dpn|ini|lalu|kemarin|kemaren|kmrn"
            r"|(?:minggu|mgg|pekan)\s*(?:depan|dpn|ini|lalu|kemarin))(?!\w))?",
            _FLAGS,
        ),
        _on_weekday,
    ),
    (
        re.compile(
            rf"{_TGL}(?P<d>[0-9]{{1,2}})(?![0-9])"
            r"(?:\s*(?P<rel>(?:bulan|bln)\s*(?:depan|dpn|ini|lalu|kemarin))(?!\w))?",
            _FLAGS,
        ),
        _on_tgl,
    ),
    (
        re.compile(
            rf"(?:{_TGL}|{_NUM_START})(?P<d>[0-9]{{1,2}})(?P<sep>[/-])(?P<m>[0-9]{{1,2}})"
            r"(?:(?P=sep)(?P<y>[0-9]{4}|[0-9]{2}))?(?![0-9]|[/.:-][0-9])" + _UNITS_AFTER,
            _FLAGS,
        ),
        _on_dmy,
    ),
    (
        re.compile(
            rf"(?:{_TGL}|{_NUM_START})(?P<d>[0-9]{{1,2}})\.(?P<m>[0-9]{{1,2}})\.(?P<y>[0-9]{{4}}|[0-9]{{2}})"
            r"(?![0-9]|[/.:-][0-9])",
            _FLAGS,
        ),
        _on_dmy,
    ),
    (
        re.compile(
            rf"(?:{_TGL}|{_NUM_START})(?P<d>[0-9]{{1,2}})\s*(?:[-/.]\s*)?(?P<m>{_MON})(?![^\W\d_])\.?"
            rf"(?:\s*(?:[-/,]\s*)?(?P<y>[0-9]{{4}}|[0-9]{{2}})(?![0-9]|[.:][0-9])"
            rf"(?!\s*(?:{_POD}|{_ZONE}|jam|an)(?!\w)))?",
            _FLAGS,
        ),
        _on_dmy,
    ),
    (
        re.compile(
            r"(?<!\w)(?:jam|jm|pukul|pkl)\.?\s*(?:(?P<half>setengah|stgh|stg)\s*)?"
            r"(?P<h>[0-9]{1,2})(?:[.:](?P<mi>[0-9]{2}))?(?![0-9])(?:-?an(?!\w))?" + _TIME_TAIL,
            _FLAGS,
        ),
        _on_jam,
    ),
    (
        re.compile(
            rf"{_NUM_START}(?P<h>[0-9]{{1,2}})(?P<sep>[:.])(?P<mi>[0-9]{{2}})(?![0-9]|[.:][0-9])"
            + _TIME_TAIL,
            _FLAGS,
        ),
        _on_clock,
    ),
    (
        re.compile(rf"{_NUM_START}(?P<h>[0-9]{{1,2}})(?:-?an)?\s*(?P<pod>{_POD})(?!\w)", _FLAGS),
        _on_hour_pod,
    ),
    (
        re.compile(
            r"(?<!\w)(?<!selamat\s)(?<!slamat\s)(?<!selamet\s)(?<!slmt\s)(?<!met\s)"
            rf"(?:(?P<pre>nanti|nnti|ntar|entar|tadi|td)\s+)?(?P<pod>{_POD})(?!\w)"
            r"(?:\s+(?P<ini>ini)(?!\w))?",
            _FLAGS,
        ),
        _on_pod,
    ),
]


def _candidates(text: str, ctx: _Ctx) -> list[_Part]:
    """Run every rule and keep the leftmost-longest non-overlapping parts."""
    found: list[tuple[int, int, int, _Part]] = []
    for priority, (pattern, handler) in enumerate(_RULES):
        for match in pattern.finditer(text):
            try:
                part = handler(match, ctx)
            except (ValueError, OverflowError):
                part = _Part(match.start(), match.end(), invalid=True)
            if part is not None:
                found.append((part.start, part.start - part.end, priority, part))
    found.sort(key=lambda item: item[:3])
    chosen: list[_Part] = []
    for start, _, _, part in found:
        if not chosen or start >= chosen[-1].end:
            chosen.append(part)
    return chosen


def _joinable(group: list[_Part], part: _Part) -> bool:
    """Tell whether a part may join a group without repeating one of its slots."""
    for other in group:
        if part.tier and part.tier == other.tier:
            return False
        if part.hour is not None and other.hour is not None:
            return False
        if part.pod and other.pod:
            return False
    return True


def _apply_pod(hour: int, pod: str | None) -> int:
    """Convert a 12-hour style hour to 24-hour using the part of day said with it."""
    if pod == "siang" and 1 <= hour <= 5:
        return hour + 12
    if pod == "sore" and 1 <= hour <= 11:
        return hour + 12
    if pod == "malam" and 6 <= hour <= 11:
        return hour + 12
    if pod == "malam" and hour == 12:
        return 0
    return hour


def _finish(text: str, group: list[_Part], ctx: _Ctx) -> When | None:
    """Combine a group of adjacent parts into one When, or None if any part is impossible."""
    if any(part.invalid for part in group):
        return None
    dated = [part for part in group if part.tier]
    day = max(dated, key=lambda part: part.tier).day if dated else None
    pod = next((part.pod for part in group if part.pod), None)
    timed = next((part for part in group if part.hour is not None), None)
    clock = None
    if timed is not None:
        pod_out = None
        hour = timed.hour if timed.exact else _apply_pod(timed.hour, pod)
        if not timed.exact and pod == "malam" and timed.hour == 12 and day is not None:
            day += timedelta(days=1)
        clock = time(hour, timed.minute)
        if timed.zone is not None and timedelta(hours=timed.zone) != ctx.offset:
            moved = (
                datetime.combine(day or ctx.today, clock) + ctx.offset - timedelta(hours=timed.zone)
            )
            clock = moved.time()
            day = moved.date() if day is not None else None
    else:
        pod_out = pod
    start, end = group[0].start, group[-1].end
    return When(text[start:end], start, end, day, clock, pod_out)


def _resolve(text: str, now: datetime, tz: str | tzinfo, past: bool) -> list[When]:
    """Shared implementation of resolve and parse_date."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    zone = _zone(tz)
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT_LEN:
        return []
    clean = _CONTROL.sub(" ", text)
    if not re.search(r"[0-9A-Za-z]", clean):
        return []
    try:
        local_now = now.astimezone(zone)
    except OverflowError:
        return []
    ctx = _Ctx(local_now, local_now.date(), local_now.utcoffset(), past)
    groups: list[list[_Part]] = []
    for part in _candidates(clean, ctx):
        if (
            groups
            and _GAP.fullmatch(clean, groups[-1][-1].end, part.start)
            and _joinable(groups[-1], part)
        ):
            groups[-1].append(part)
        else:
            groups.append([part])
    results = []
    for group in groups:
        try:
            when = _finish(text, group, ctx)
        except (ValueError, OverflowError):
            when = None
        if when is not None:
            results.append(when)
    return results


def resolve(text: str, now: datetime, tz: str | ZoneInfo = "Asia/Jakarta") -> list[When]:
    """Find and resolve every date/time expression in text, in order of appearance."""
    return _resolve(text, now, tz, past=False)


def resolve_first(text: str, now: datetime, tz: str | ZoneInfo = "Asia/Jakarta") -> When | None:
    """Return the first resolved expression in text, or None."""
    found = _resolve(text, now, tz, past=False)
    return found[0] if found else None


def parse_date(
    text: str, now: datetime, tz: str | ZoneInfo = "Asia/Jakarta", past: bool = False
) -> date | None:
    """Return the first date in an answer; past=True resolves ambiguous dates backwards."""
    for when in _resolve(text, now, tz, past=past):
        if when.date is not None:
            return when.date
    return None
