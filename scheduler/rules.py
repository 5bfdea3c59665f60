"""Load and validate the national schedules (scheduler/rules/*.yml) into frozen dataclasses.

Offsets are written like ``2m``, ``6m29d``, ``8w``, ``60m-1d`` (units y, m, w, d); months are
calendar months (see :func:`add_months`). Two readings are used:

* a *point* (``at``, ``from``, ``overdue_after``, ``min``) is applied as is: ``2m`` after
  31 Jan is 31 Mar, ``1m`` after 31 Jan is 28/29 Feb;
* a *completed age* (``until``, ``to``, ``track_until``) includes the whole last unit:
  ``until: 6m29d`` ends on birth + 6 months + 29 days, ``until: 59m`` ends the day before
  60 months, ``to: 12w`` ends on 12 weeks 6 days.

Multi-dose antigens are *series* (a top-level ``series:`` block): the doses in order and, for
each dose after the first, the minimum interval after the previous dose with its own cited
source (``sources:`` block). The interval fields of a dose (``after``, ``min_interval``,
``late_*``) come from its series. School doses (BIAS) have ``school: {grade, month}`` instead of
``at``; their file has a ``school:`` block saying how a grade maps to an age.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

RULES_DIR = Path(__file__).with_name("rules")

DOSE_ITEMS = (
    "HB0", "BCG",
    "OPV1", "OPV2", "OPV3", "OPV4",
    "DPT1", "DPT2", "DPT3", "DPT4",
    "PCV1", "PCV2", "PCV3",
    "RV1", "RV2", "RV3",
    "IPV1", "IPV2",
    "MR1", "MR2",
    "JE",
)  # fmt: skip
# School-age doses (BIAS, Bulan Imunisasi Anak Sekolah): MR3 = MR in kelas 1, DT in kelas 1,
# TD1 = Td in kelas 2, TD2 = Td in kelas 5, HPV for girls in kelas 5 (single dose).
SCHOOL_DOSE_ITEMS = ("MR3", "DT", "TD1", "TD2", "HPV")
# Td for women of reproductive age (td_women.yml): T1-T5 = the dose that brings her T-status to
# T1-T5, planned during a pregnancy after the T-status screening (TSCREEN).
WUS_DOSE_ITEMS = ("T1", "T2", "T3", "T4", "T5")
SCREENING_ITEMS = ("TSCREEN",)
ALL_DOSE_ITEMS = DOSE_ITEMS + SCHOOL_DOSE_ITEMS + WUS_DOSE_ITEMS
VISIT_ITEMS = (
    "ANC1", "ANC2", "ANC3", "ANC4", "ANC5", "ANC6",
    "KN1", "KN2", "KN3",
    "KF1", "KF2", "KF3", "KF4",
)  # fmt: skip
ITEM_KINDS: Mapping[str, str] = MappingProxyType(
    {
        **{code: "dose" for code in DOSE_ITEMS + SCHOOL_DOSE_ITEMS},
        **{code: "screening" for code in SCREENING_ITEMS},
        **{code: "dose" for code in WUS_DOSE_ITEMS},
        **{code: "visit" for code in VISIT_ITEMS},
        "VITA": "vitamin_a",
        "WEIGH": "weighing",
        "CKG": "checkup",
    }
)
ITEM_CODES = frozenset(ITEM_KINDS)
ITEM_ORDER: Mapping[str, int] = MappingProxyType({code: i for i, code in enumerate(ITEM_KINDS)})

ANCHORS = ("birth", "pregnancy", "delivery")  # pregnancy = HPHT (LMP), delivery = delivery date
CONDITIONS = ("je_endemic",)
CONFIDENCE = ("confirmed", "unconfirmed")
SEXES = ("L", "P")
_DIM = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_UNIT_ORDER = "ymwd"
_UNIT_NAMES = {"y": "year", "m": "month", "w": "week", "d": "day"}
_TOKEN = re.compile(r"([+-]?)(\d+)([ymwd])")


class RuleError(ValueError):
    """A schedule file is missing, malformed or inconsistent."""


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months, clamped to the month end (31 Jan + 1 -> 28/29 Feb)."""
    if n == 0:
        return d
    m0 = d.month - 1 + n
    year = d.year + m0 // 12
    month = m0 % 12 + 1
    day = d.day
    if day > 28:
        last = 29 if month == 2 and calendar.isleap(year) else _DIM[month]
        if day > last:
            day = last
    return date(year, month, day)


@dataclass(frozen=True)
class Offset:
    """A calendar offset: whole months first, then days."""

    months: int
    days: int
    smallest: str  # smallest unit written: "y", "m", "w" or "d"
    text: str

    def apply(self, d: date) -> date:
        """The date ``d`` + this offset (a point in time)."""
        if self.months:
            d = add_months(d, self.months)
        return d + timedelta(days=self.days) if self.days else d

    @cached_property
    def end_parts(self) -> tuple[int, int]:
        """(months, days) such that ``last_day(d) == add_months(d, months) + days``."""
        unit = self.smallest
        if unit == "d":
            return self.months, self.days
        if unit == "w":
            return self.months, self.days + 6
        return self.months + (12 if unit == "y" else 1), self.days - 1

    def last_day(self, d: date) -> date:
        """Last day on which the age since ``d`` is still at most this completed offset."""
        months, days = self.end_parts
        return add_months(d, months) + timedelta(days=days)

    def approx_days(self) -> float:
        """Rough length in days, for sanity checks only."""
        return self.months * 30.44 + self.days

    @cached_property
    def words(self) -> str:
        """English rendering, e.g. "6 months 29 days", "4 weeks" (cached)."""
        return self.human()

    def parts(self) -> list[tuple[int, str]]:
        """The offset as written, e.g. ``6m29d`` -> [(6, "m"), (29, "d")]."""
        return [(int(sign + number), unit) for sign, number, unit in _TOKEN.findall(self.text)]

    def human(self) -> str:
        """English rendering, e.g. "6 months 29 days", "4 weeks"."""
        parts = []
        for sign, number, unit in _TOKEN.findall(self.text):
            value = int(number)
            word = _UNIT_NAMES[unit] + ("" if value == 1 else "s")
            parts.append(f"{'minus ' if sign == '-' else ''}{value} {word}")
        return " ".join(parts)

    def __str__(self) -> str:
        return self.text


def parse_offset(text: object) -> Offset:
    """Parse ``"6m29d"``-style text; raise ValueError on anything else."""
    if not isinstance(text, str):
        raise ValueError(f"offset must be a string like '2m' or '6m29d', got {text!r}")
    compact = text.replace(" ", "")
    tokens = list(_TOKEN.finditer(compact))
    if not compact or "".join(t.group(0) for t in tokens) != compact:
        raise ValueError(f"cannot parse offset {text!r} (use units y, m, w, d, e.g. '6m29d')")
    units = [t.group(3) for t in tokens]
    if len(set(units)) != len(units) or units != sorted(units, key=_UNIT_ORDER.index):
        raise ValueError(f"offset {text!r}: give each unit once, largest first")
    months = days = 0
    for sign, number, unit in (t.groups() for t in tokens):
        value = -int(number) if sign == "-" else int(number)
        if unit == "y":
            months += 12 * value
        elif unit == "m":
            months += value
        elif unit == "w":
            days += 7 * value
        else:
            days += value
    return Offset(months=months, days=days, smallest=units[-1], text=compact)


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: the regulation or letter and the URL(s) it was read at."""

    regulation: str
    urls: tuple[str, ...]
    grade: str | None = None  # reference quality tag: A, B, C


@dataclass(frozen=True, kw_only=True)
class BaseRule:
    """Fields every rule has."""

    item: str
    kind: str
    label: str
    file: str
    source: Source
    confidence: str = "confirmed"
    note: str = ""

    @property
    def unconfirmed(self) -> bool:
        return self.confidence == "unconfirmed"


@dataclass(frozen=True, kw_only=True)
class DoseRule(BaseRule):
    """One vaccine dose, timed from birth (or, for Td of pregnant women, from HPHT: `anchor`
    "pregnancy", `at`/`until` in gestational age) and optionally from the previous dose
    given."""

    anchor: str
    at: Offset  # recommended age (school doses: the usual age of the grade)
    overdue_after: Offset  # from the due date
    until: Offset | None  # last completed age at which it is offered (None: while tracked)
    track_until: Offset
    # From the dose's series (see `Series`); None for single doses and the first of a series.
    series: str | None = None
    after: str | None = None  # previous dose whose actual date sets the minimum interval
    min_interval: Offset | None = None
    late_from_age: Offset | None = None  # previous dose given at/after this age ...
    late_min_interval: Offset | None = None  # ... uses this minimum interval instead
    interval_source: Source | None = None
    # From the series' `min_age` block: no dose below this age (WHO's minimum age of dose 1);
    # the later doses of the series inherit it through the minimum intervals.
    min_age: Offset | None = None
    min_age_source: Source | None = None
    school_grade: int | None = None  # BIAS: kelas (1-9) ...
    school_month: int | None = None  # ... and campaign month; planned by grade, not by age
    until_school_year: bool = False  # offered until the end of that grade's school year
    sex: str | None = None  # only for "L" or "P" (HPV: girls)
    skip_if_item: str | None = None  # not needed when this dose was given ...
    skip_if_from_age: Offset | None = None  # ... at/after this age
    only_if: str | None = None  # a PersonFacts flag, e.g. je_endemic
    born_from: date | None = None  # programme cohort start
    overdue_note: str = ""

    @property
    def campaign(self) -> bool:
        """A school (BIAS) dose: given to the whole grade, whether or not the previous dose of
        its series is recorded (the previous dose, when recorded, still sets its earliest
        date)."""
        return self.school_grade is not None


@dataclass(frozen=True, kw_only=True)
class VisitRule(BaseRule):
    """A contact with a window (ANC, KN, KF); ``window`` is the active variant."""

    anchor: str
    window: tuple[Offset, Offset]
    windows: Mapping[str, tuple[Offset, Offset]]
    trimesters: Mapping[str, int]
    until: Offset | None
    track_until: Offset
    doctor: bool = False
    trimester: int | None = None  # in the active variant (antenatal visits)


@dataclass(frozen=True)
class CapsuleBand:
    """Vitamin A capsule by age in completed months on the first day of the campaign month."""

    from_months: int
    to_months: int
    capsule: str
    dose_iu: int


@dataclass(frozen=True, kw_only=True)
class VitaminARule(BaseRule):
    """Vitamin A capsules in the campaign months."""

    months: tuple[int, ...]
    bands: tuple[CapsuleBand, ...]


@dataclass(frozen=True, kw_only=True)
class WeighingRule(BaseRule):
    """Monthly weighing at each posyandu day while the child is in the age range."""

    from_age: Offset
    until: Offset


@dataclass(frozen=True)
class CheckupBand:
    """CKG stream by the age reached on the birthday in the calendar year."""

    from_years: int
    to_years: int | None
    remind: bool
    label: str


@dataclass(frozen=True, kw_only=True)
class CheckupRule(BaseRule):
    """Yearly free health check (CKG), suggested from the birthday."""

    starts_on: date
    overdue_after: Offset
    bands: tuple[CheckupBand, ...]

    def band_for(self, age_years: int) -> CheckupBand | None:
        for band in self.bands:
            if age_years >= band.from_years and (
                band.to_years is None or age_years <= band.to_years
            ):
                return band
        return None


@dataclass(frozen=True, kw_only=True)
class ScreeningRule(BaseRule):
    """A check that decides which doses of a series a person needs (the T-status screening
    before Td), due from `at` after the anchor; never overdue."""

    anchor: str
    at: Offset
    until: Offset | None
    track_until: Offset
    # From the series it screens for: the source of the childhood doses counted (see Series).
    counts_source: Source | None = None


AnyRule = DoseRule | VisitRule | VitaminARule | WeighingRule | CheckupRule | ScreeningRule


@dataclass(frozen=True)
class Interval:
    """The minimum interval before a dose of a series, counted from the previous dose given."""

    item: str  # the dose it applies to
    min: Offset
    source: Source
    late_from_age: Offset | None = None  # previous dose given at/after this age ...
    late_min: Offset | None = None  # ... then this minimum instead
    note: str = ""


@dataclass(frozen=True)
class MinAge:
    """The minimum age of a dose of a series (WHO: the minimum age of dose 1)."""

    item: str
    age: Offset
    source: Source
    note: str = ""


@dataclass(frozen=True)
class CountedLevel:
    """Childhood doses that count towards a series' status (T-status): `status` is reached
    when the level below it is and these doses are recorded (`all_of`, or one of `any_of`)."""

    status: int
    doses: tuple[str, ...]
    need_all: bool


@dataclass(frozen=True)
class Series:
    """The doses of one antigen in order: a dose is offered once the previous one is recorded
    (school doses: by grade), no earlier than the previous dose's date + its interval."""

    name: str
    label: str
    doses: tuple[str, ...]
    intervals: Mapping[str, Interval]
    file: str
    note: str = ""
    min_ages: Mapping[str, MinAge] = MappingProxyType({})
    screening: str | None = None  # a screening item that must come before the first dose
    counted: tuple[CountedLevel, ...] = ()  # other doses that count towards the series
    counted_source: Source | None = None
    counted_note: str = ""

    def counted_status(self, given: Mapping[str, date]) -> tuple[int, date | None, str | None]:
        """The status reached by the other doses recorded (`given`: item -> date), the date of
        the latest dose counted and that dose: (0, None, None) when none counts. Levels are
        cumulative: a gap stops the count (the screening may find more)."""
        status, latest, which = 0, None, None
        for level in self.counted:
            found = [(given[i], i) for i in level.doses if i in given]
            if not found or (level.need_all and len(found) < len(level.doses)):
                break
            when, item = max(found) if level.need_all else min(found)
            status = level.status
            if latest is None or when > latest:
                latest, which = when, item
        return status, latest, which


@dataclass(frozen=True)
class SchoolCalendar:
    """How a grade is derived from the age when it is not known (see school.yml)."""

    year_starts: tuple[int, int]  # (month, day) the school year starts: the age is taken then
    kelas_1_age: int  # completed age on that day in the kelas 1 year
    bias_months: tuple[int, ...]

    def age_for(self, grade: int) -> int:
        """Completed age at the start of the school year of kelas `grade`."""
        return self.kelas_1_age + grade - 1

    def school_year(self, birth: date, grade: int) -> int:
        """The calendar year in which the school year of kelas `grade` starts, by age."""
        month, day = self.year_starts
        later = 1 if (birth.month, birth.day) > (month, day) else 0
        return birth.year + self.age_for(grade) + later

    def year_start(self, year: int) -> date:
        return date(year, *self.year_starts)


@dataclass(frozen=True, eq=False)
class Rules:
    """All schedules, validated; build once with :func:`load_rules` and share."""

    doses: tuple[DoseRule, ...]
    visits: tuple[VisitRule, ...]
    vitamin_a: VitaminARule | None
    weighing: WeighingRule | None
    checkup: CheckupRule | None
    series: tuple[Series, ...]
    school: SchoolCalendar | None
    anc_split: str
    anc_splits: tuple[str, ...]
    files: tuple[str, ...]
    by_item: Mapping[str, AnyRule]

    def get(self, item: str) -> AnyRule | None:
        return self.by_item.get(item)

    def series_of(self, item: str) -> Series | None:
        rule = self.by_item.get(item)
        name = getattr(rule, "series", None)
        return next((s for s in self.series if s.name == name), None)

    def earliest_by_age(self, item: str, birth: date) -> tuple[date, str, Offset] | None:
        """The first day ``item`` may be given by the minimum ages of its series: the minimum
        age of the dose that has one, plus the minimum intervals of the doses after it (DPT2:
        6 weeks + 4 weeks). Returns (date, the dose whose minimum age it starts from, that
        age), or None when no minimum age applies."""
        series = self.series_of(item)
        if series is None:
            return None
        doses = [self.by_item[code] for code in series.doses]
        return min_age_dates(doses, birth).get(item)

    def __iter__(self):
        return iter(self.by_item.values())

    def __len__(self) -> int:
        return len(self.by_item)


def min_age_dates(doses: Iterable[DoseRule], birth: date) -> dict[str, tuple[date, str, Offset]]:
    """For the doses of one series in order: the earliest date each may be given by the
    minimum ages (see :meth:`Rules.earliest_by_age`). Doses before the first minimum age
    have none."""
    out: dict[str, tuple[date, str, Offset]] = {}
    current: tuple[date, str, Offset] | None = None
    for rule in doses:
        if current is not None and rule.min_interval is not None:
            current = (rule.min_interval.apply(current[0]), current[1], current[2])
        if rule.min_age is not None:
            own = rule.min_age.apply(birth)
            if current is None or own > current[0]:
                current = (own, rule.item, rule.min_age)
        if current is not None:
            out[rule.item] = current
    return out


# --------------------------------------------------------------------------- loading

_COMMON_KEYS = {"item", "kind", "label", "source", "confidence", "note"}
_KIND_KEYS = {
    "dose": {
        "required": set(),  # "at", or "school" for a BIAS dose
        "optional": {
            "at", "school", "sex", "anchor", "overdue_after", "until", "track_until",
            "only_if", "born_from", "skip_if", "overdue_note",
        },
    },
    "visit": {
        "required": {"anchor", "windows"},
        "optional": {"until", "track_until", "doctor"},
    },
    "vitamin_a": {"required": {"months", "bands"}, "optional": set()},
    "weighing": {"required": {"from_age", "until"}, "optional": set()},
    "checkup": {"required": {"starts_on", "overdue_after", "bands"}, "optional": set()},
    "screening": {"required": {"anchor", "at"}, "optional": {"until", "track_until"}},
}  # fmt: skip
_DEFAULT_KEYS = {"anchor", "overdue_after", "until", "track_until"}
_TOP_KEYS = {
    "schema", "group", "title", "defaults", "rules", "anc_split", "sources", "series", "school",
}  # fmt: skip
_SINGLE_WINDOW = "all"  # window key for visits without variants


class _Ctx:
    """Builds error messages naming the file and the rule (or the series)."""

    def __init__(self, file: str, rule: str | None = None, what: str = "rule") -> None:
        self.file = file
        self.rule = rule
        self.what = what

    def error(self, message: str) -> RuleError:
        where = f"{self.file}: {self.what} {self.rule}" if self.rule else self.file
        return RuleError(f"{where}: {message}")


def _offset(ctx: _Ctx, raw: object, key: str) -> Offset:
    try:
        return parse_offset(raw)
    except ValueError as exc:
        raise ctx.error(f"{key}: {exc}") from None


def _opt_offset(ctx: _Ctx, raw: object, key: str) -> Offset | None:
    return None if raw is None else _offset(ctx, raw, key)


def _mapping(ctx: _Ctx, raw: object, key: str) -> dict:
    if not isinstance(raw, dict):
        raise ctx.error(f"{key} must be a mapping, got {type(raw).__name__}")
    return raw


def _text(ctx: _Ctx, raw: object, key: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ctx.error(f"{key} must be a non-empty string")
    return raw.strip()


def _date(ctx: _Ctx, raw: object, key: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ctx.error(f"{key}: not an ISO date: {raw!r}") from None


def _int(ctx: _Ctx, raw: object, key: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise ctx.error(f"{key} must be an integer {low}..{high}, got {raw!r}")
    return raw


def _source(ctx: _Ctx, raw: object, key: str = "source") -> Source:
    if raw is None:
        raise ctx.error(f"missing {key} (regulation and URL(s))")
    src = _mapping(ctx, raw, key)
    unknown = set(src) - {"regulation", "urls", "grade"}
    if unknown:
        raise ctx.error(f"{key}: unknown key(s) {sorted(unknown)}")
    regulation = _text(ctx, src.get("regulation"), f"{key}.regulation")
    urls = src.get("urls")
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not urls:
        raise ctx.error(f"{key}.urls must list at least one URL")
    for url in urls:
        if not isinstance(url, str) or not re.match(r"https?://\S+$", url):
            raise ctx.error(f"{key}.urls: not a URL: {url!r}")
    grade = src.get("grade")
    if grade is not None and str(grade) not in {"A", "B", "C", "U"}:
        raise ctx.error(f"{key}.grade must be A, B, C or U, got {grade!r}")
    return Source(
        regulation=regulation, urls=tuple(urls), grade=None if grade is None else str(grade)
    )


def _check_order(ctx: _Ctx, first: Offset, second: Offset, what: str) -> None:
    if second.approx_days() < first.approx_days():
        raise ctx.error(f"{what}: {second} is before {first}")


def _build_dose(ctx: _Ctx, r: dict, common: dict, school: SchoolCalendar | None = None) -> DoseRule:
    anchor = r.get("anchor", "birth")
    if anchor not in ("birth", "pregnancy"):
        raise ctx.error(f"anchor: doses are timed from 'birth' or 'pregnancy', got {anchor!r}")
    fields: dict[str, Any] = {}
    if ("at" in r) == ("school" in r):
        raise ctx.error("a dose needs either 'at' (an age) or 'school' (BIAS grade and month)")
    if anchor == "pregnancy" and "at" not in r:
        raise ctx.error("a dose timed from the pregnancy needs 'at' (gestational age)")
    if "school" in r:
        spec = _mapping(ctx, r["school"], "school")
        if set(spec) != {"grade", "month"}:
            raise ctx.error("school needs exactly 'grade' and 'month'")
        if school is None:
            raise ctx.error("a school dose needs a top-level 'school:' block in its file")
        grade = _int(ctx, spec["grade"], "school.grade", 1, 9)
        month = _int(ctx, spec["month"], "school.month", 1, 12)
        if month not in school.bias_months:
            raise ctx.error(f"school.month {month} is not a BIAS month {list(school.bias_months)}")
        fields["school_grade"], fields["school_month"] = grade, month
        at = parse_offset(f"{school.age_for(grade)}y")
    else:
        at = _offset(ctx, r["at"], "at")
    sex = r.get("sex")
    if sex is not None:
        if sex not in SEXES:
            raise ctx.error(f"sex must be one of {list(SEXES)}, got {sex!r}")
        fields["sex"] = sex
    if "overdue_after" not in r:
        raise ctx.error("missing overdue_after (in the rule or the file defaults)")
    if "track_until" not in r:
        raise ctx.error("missing track_until (in the rule or the file defaults)")
    if r.get("until") == "school_year":
        if "school" not in r:
            raise ctx.error("until: school_year is only for school (BIAS) doses")
        until, fields["until_school_year"] = None, True
    else:
        until = _opt_offset(ctx, r.get("until"), "until")
        if "school" in r and until is None:
            raise ctx.error("a school dose needs until: school_year or an age")
    if until is not None:
        _check_order(ctx, at, until, "until")
    skip = r.get("skip_if")
    if skip is not None:
        skip = _mapping(ctx, skip, "skip_if")
        if set(skip) != {"item", "given_from_age"}:
            raise ctx.error("skip_if needs exactly 'item' and 'given_from_age'")
        fields["skip_if_item"] = _text(ctx, skip["item"], "skip_if.item")
        fields["skip_if_from_age"] = _offset(ctx, skip["given_from_age"], "skip_if.given_from_age")
    only_if = r.get("only_if")
    if only_if is not None and only_if not in CONDITIONS:
        raise ctx.error(f"only_if must be one of {list(CONDITIONS)}, got {only_if!r}")
    if r.get("born_from") is not None:
        fields["born_from"] = _date(ctx, r["born_from"], "born_from")
    return DoseRule(
        **common,
        anchor=anchor,
        at=at,
        overdue_after=_offset(ctx, r["overdue_after"], "overdue_after"),
        until=until,
        track_until=_offset(ctx, r["track_until"], "track_until"),
        only_if=only_if,
        overdue_note=str(r.get("overdue_note") or "").strip(),
        **fields,
    )


def _build_visit(ctx: _Ctx, r: dict, common: dict, variants: tuple[str, ...]) -> VisitRule:
    anchor = r["anchor"]
    if anchor not in ANCHORS:
        raise ctx.error(f"anchor must be one of {list(ANCHORS)}, got {anchor!r}")
    if "track_until" not in r:
        raise ctx.error("missing track_until (in the rule or the file defaults)")
    raw_windows = _mapping(ctx, r["windows"], "windows")
    expected = set(variants) if variants else {_SINGLE_WINDOW}
    if set(map(str, raw_windows)) != expected:
        raise ctx.error(f"windows must have exactly the keys {sorted(expected)}")
    windows: dict[str, tuple[Offset, Offset]] = {}
    trimesters: dict[str, int] = {}
    for key, spec in raw_windows.items():
        spec = _mapping(ctx, spec, f"windows.{key}")
        unknown = set(spec) - {"from", "to", "trimester"}
        if unknown or not {"from", "to"} <= set(spec):
            raise ctx.error(f"windows.{key} needs 'from' and 'to' (and optional 'trimester')")
        start = _offset(ctx, spec["from"], f"windows.{key}.from")
        end = _offset(ctx, spec["to"], f"windows.{key}.to")
        _check_order(ctx, start, end, f"windows.{key}")
        windows[str(key)] = (start, end)
        if "trimester" in spec:
            trimesters[str(key)] = _int(ctx, spec["trimester"], f"windows.{key}.trimester", 1, 3)
    until = _opt_offset(ctx, r.get("until"), "until")
    doctor = r.get("doctor", False)
    if not isinstance(doctor, bool):
        raise ctx.error("doctor must be true or false")
    return VisitRule(
        **common,
        anchor=anchor,
        window=windows[next(iter(windows))],  # replaced with the active variant in load_rules
        windows=MappingProxyType(windows),
        trimesters=MappingProxyType(trimesters),
        until=until,
        track_until=_offset(ctx, r["track_until"], "track_until"),
        doctor=doctor,
    )


def _build_vitamin_a(ctx: _Ctx, r: dict, common: dict) -> VitaminARule:
    months = r["months"]
    if not isinstance(months, list) or not months:
        raise ctx.error("months must be a non-empty list of month numbers")
    months_t = tuple(_int(ctx, m, "months", 1, 12) for m in months)
    bands = r["bands"]
    if not isinstance(bands, list) or not bands:
        raise ctx.error("bands must be a non-empty list")
    out = []
    for i, band in enumerate(bands):
        band = _mapping(ctx, band, f"bands[{i}]")
        if set(band) != {"from", "to", "capsule", "dose_iu"}:
            raise ctx.error(f"bands[{i}] needs exactly from, to, capsule, dose_iu")
        start = _offset(ctx, band["from"], f"bands[{i}].from")
        end = _offset(ctx, band["to"], f"bands[{i}].to")
        if start.days or end.days:
            raise ctx.error(f"bands[{i}]: ages must be whole months")
        if out and start.months != out[-1].to_months + 1:
            raise ctx.error(f"bands[{i}] must start right after the previous band")
        if end.months < start.months:
            raise ctx.error(f"bands[{i}]: 'to' is before 'from'")
        out.append(
            CapsuleBand(
                from_months=start.months,
                to_months=end.months,
                capsule=_text(ctx, band["capsule"], f"bands[{i}].capsule"),
                dose_iu=_int(ctx, band["dose_iu"], f"bands[{i}].dose_iu", 1, 10**6),
            )
        )
    return VitaminARule(**common, months=months_t, bands=tuple(out))


def _build_weighing(ctx: _Ctx, r: dict, common: dict) -> WeighingRule:
    start = _offset(ctx, r["from_age"], "from_age")
    until = _offset(ctx, r["until"], "until")
    _check_order(ctx, start, until, "until")
    return WeighingRule(**common, from_age=start, until=until)


def _build_checkup(ctx: _Ctx, r: dict, common: dict) -> CheckupRule:
    bands = r["bands"]
    if not isinstance(bands, list) or not bands:
        raise ctx.error("bands must be a non-empty list")
    out: list[CheckupBand] = []
    expect = 0
    for i, band in enumerate(bands):
        band = _mapping(ctx, band, f"bands[{i}]")
        unknown = set(band) - {"from", "to", "remind", "label"}
        if unknown or not {"from", "remind", "label"} <= set(band):
            raise ctx.error(f"bands[{i}] needs from, remind, label (and optional to)")
        if expect is None:
            raise ctx.error(f"bands[{i}] follows an open-ended band")
        start = _int(ctx, band["from"], f"bands[{i}].from", 0, 150)
        if start != expect:
            raise ctx.error(f"bands[{i}] must start at age {expect}")
        end = band.get("to")
        if end is not None:
            end = _int(ctx, end, f"bands[{i}].to", start, 150)
        if not isinstance(band["remind"], bool):
            raise ctx.error(f"bands[{i}].remind must be true or false")
        out.append(CheckupBand(start, end, band["remind"], _text(ctx, band["label"], "label")))
        expect = None if end is None else end + 1
    if expect is not None:
        raise ctx.error("the last band must be open-ended (no 'to')")
    return CheckupRule(
        **common,
        starts_on=_date(ctx, r["starts_on"], "starts_on"),
        overdue_after=_offset(ctx, r["overdue_after"], "overdue_after"),
        bands=tuple(out),
    )


def _build_rule(
    ctx: _Ctx,
    r: dict,
    defaults: dict,
    variants: tuple[str, ...],
    school: SchoolCalendar | None = None,
) -> AnyRule:
    item = r.get("item")
    if not isinstance(item, str) or item not in ITEM_CODES:
        raise ctx.error(f"unknown item code {item!r} (known: {', '.join(ITEM_KINDS)})")
    kind = r.get("kind")
    if kind != ITEM_KINDS[item]:
        raise ctx.error(f"kind must be {ITEM_KINDS[item]!r} for {item}, got {kind!r}")
    spec = _KIND_KEYS[kind]
    allowed = _COMMON_KEYS | spec["required"] | spec["optional"]
    unknown = set(r) - allowed
    if unknown:
        raise ctx.error(f"unknown key(s) {sorted(unknown)} for kind {kind!r}")
    merged = {k: v for k, v in defaults.items() if k in allowed}
    merged.update(r)
    missing = ({"label", "source"} | spec["required"]) - set(merged)
    if missing:
        raise ctx.error(f"missing required key(s) {sorted(missing)}")
    confidence = merged.get("confidence", "confirmed")
    if confidence not in CONFIDENCE:
        raise ctx.error(f"confidence must be one of {list(CONFIDENCE)}, got {confidence!r}")
    note = merged.get("note") or ""
    if not isinstance(note, str):
        raise ctx.error("note must be a string")
    if confidence == "unconfirmed" and not note.strip():
        raise ctx.error("confidence: unconfirmed needs a note saying what to verify")
    common = {
        "item": item,
        "kind": kind,
        "label": _text(ctx, merged["label"], "label"),
        "file": ctx.file,
        "source": _source(ctx, merged.get("source")),
        "confidence": confidence,
        "note": " ".join(note.split()),
    }
    if kind == "dose":
        return _build_dose(ctx, merged, common, school)
    if kind == "visit":
        return _build_visit(ctx, merged, common, variants)
    if kind == "vitamin_a":
        return _build_vitamin_a(ctx, merged, common)
    if kind == "weighing":
        return _build_weighing(ctx, merged, common)
    if kind == "screening":
        return _build_screening(ctx, merged, common)
    return _build_checkup(ctx, merged, common)


def _build_screening(ctx: _Ctx, r: dict, common: dict) -> ScreeningRule:
    anchor = r["anchor"]
    if anchor not in ANCHORS:
        raise ctx.error(f"anchor must be one of {list(ANCHORS)}, got {anchor!r}")
    if "track_until" not in r:
        raise ctx.error("missing track_until (in the rule or the file defaults)")
    at = _offset(ctx, r["at"], "at")
    until = _opt_offset(ctx, r.get("until"), "until")
    if until is not None:
        _check_order(ctx, at, until, "until")
    return ScreeningRule(
        **common,
        anchor=anchor,
        at=at,
        until=until,
        track_until=_offset(ctx, r["track_until"], "track_until"),
    )


@dataclass
class _FileRules:
    rules: list[AnyRule]
    active: str | None
    variants: tuple[str, ...]
    series: list[Series]
    school: SchoolCalendar | None


def _load_file(path: Path) -> _FileRules:
    ctx = _Ctx(path.name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ctx.error(f"invalid YAML: {exc}") from None
    data = _mapping(ctx, data, "top level")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ctx.error(f"unknown top-level key(s) {sorted(unknown)}")
    if data.get("schema") != 1:
        raise ctx.error(f"schema must be 1, got {data.get('schema')!r}")
    defaults = _mapping(ctx, data.get("defaults") or {}, "defaults")
    unknown = set(defaults) - _DEFAULT_KEYS
    if unknown:
        raise ctx.error(f"defaults: unknown key(s) {sorted(unknown)}")
    active: str | None = None
    variants: tuple[str, ...] = ()
    if "anc_split" in data:
        split = _mapping(ctx, data["anc_split"], "anc_split")
        raw_variants = _mapping(ctx, split.get("variants"), "anc_split.variants")
        variants = tuple(str(v) for v in raw_variants)
        active = str(split.get("active"))
        if active not in variants:
            raise ctx.error(f"anc_split.active {active!r} is not one of {list(variants)}")
    school = _school(ctx, data["school"]) if "school" in data else None
    sources = {
        str(name): _source(ctx, spec, f"sources.{name}")
        for name, spec in _mapping(ctx, data.get("sources") or {}, "sources").items()
    }
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ctx.error("rules must be a non-empty list")
    out = []
    for i, raw in enumerate(rules, start=1):
        name = raw.get("item") if isinstance(raw, dict) else None
        rctx = _Ctx(path.name, name if isinstance(name, str) else f"#{i}")
        out.append(_build_rule(rctx, _mapping(rctx, raw, "rule"), defaults, variants, school))
    raw_series = data.get("series") or []
    if not isinstance(raw_series, list):
        raise ctx.error("series must be a list")
    series = [_build_series(path.name, raw, sources, i) for i, raw in enumerate(raw_series, 1)]
    return _FileRules(out, active, variants, series, school)


def _school(ctx: _Ctx, raw: object) -> SchoolCalendar:
    spec = _mapping(ctx, raw, "school")
    if set(spec) != {"year_starts", "kelas_1_age", "bias_months"}:
        raise ctx.error("school needs exactly year_starts, kelas_1_age and bias_months")
    match = re.fullmatch(r"(\d{2})-(\d{2})", str(spec["year_starts"]))
    try:
        start = date(2001, int(match.group(1)), int(match.group(2)))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        raise ctx.error(f"school.year_starts must be MM-DD, got {spec['year_starts']!r}") from None
    months = spec["bias_months"]
    if not isinstance(months, list) or not months:
        raise ctx.error("school.bias_months must be a non-empty list of month numbers")
    return SchoolCalendar(
        year_starts=(start.month, start.day),
        kelas_1_age=_int(ctx, spec["kelas_1_age"], "school.kelas_1_age", 5, 8),
        bias_months=tuple(_int(ctx, m, "school.bias_months", 1, 12) for m in months),
    )


def _build_series(file: str, raw: object, sources: Mapping[str, Source], index: int) -> Series:
    """The structure of one series; its items are checked against the rules in load_rules."""
    name = raw.get("name") if isinstance(raw, dict) else None
    ctx = _Ctx(file, name if isinstance(name, str) else f"#{index}", "series")
    spec = _mapping(ctx, raw, "series")
    unknown = set(spec) - {
        "name", "label", "doses", "intervals", "min_age", "note", "screening", "counted_from",
    }  # fmt: skip
    if unknown:
        raise ctx.error(f"unknown key(s) {sorted(unknown)}")
    doses = spec.get("doses")
    if not isinstance(doses, list) or len(doses) < 2 or not all(isinstance(d, str) for d in doses):
        raise ctx.error("doses must list at least two item codes, in order")
    for i, item in enumerate(doses):
        if item in doses[:i]:
            raise ctx.error(f"cycle: {item} comes twice in the series")
    intervals: dict[str, Interval] = {}
    raw_intervals = _mapping(ctx, spec.get("intervals") or {}, "intervals")
    for item, ispec in raw_intervals.items():
        item = str(item)
        key = f"intervals.{item}"
        if item not in ITEM_CODES:
            raise ctx.error(f"{key}: interval for an unknown item {item!r}")
        if item not in doses:
            raise ctx.error(f"{key}: interval for {item}, which is not a dose of this series")
        if item == doses[0]:
            raise ctx.error(f"{key}: the first dose of a series has no interval")
        ispec = _mapping(ctx, ispec, key)
        unknown = set(ispec) - {"min", "source", "late", "note"}
        if unknown:
            raise ctx.error(f"{key}: unknown key(s) {sorted(unknown)}")
        if "min" not in ispec:
            raise ctx.error(f"{key}: missing min")
        minimum = _offset(ctx, ispec["min"], f"{key}.min")
        if minimum.approx_days() <= 0:
            raise ctx.error(f"{key}.min must be positive, got {minimum}")
        ref = ispec.get("source")
        if ref is None:
            raise ctx.error(f"{key}: missing source (name one from the file's sources:)")
        if str(ref) not in sources:
            raise ctx.error(f"{key}: unknown source {ref!r} (known: {sorted(sources)})")
        late_from = late_min = None
        if "late" in ispec:
            late = _mapping(ctx, ispec["late"], f"{key}.late")
            if set(late) != {"from_age", "min"}:
                raise ctx.error(f"{key}.late needs exactly 'from_age' and 'min'")
            late_from = _offset(ctx, late["from_age"], f"{key}.late.from_age")
            late_min = _offset(ctx, late["min"], f"{key}.late.min")
        note = ispec.get("note") or ""
        intervals[item] = Interval(
            item=item,
            min=minimum,
            source=sources[str(ref)],
            late_from_age=late_from,
            late_min=late_min,
            note=" ".join(str(note).split()),
        )
    for item in doses[1:]:
        if item not in intervals:
            raise ctx.error(f"no minimum interval for {item} (intervals.{item} with a source)")
    min_ages: dict[str, MinAge] = {}
    for item, mspec in _mapping(ctx, spec.get("min_age") or {}, "min_age").items():
        item = str(item)
        key = f"min_age.{item}"
        if item not in doses:
            raise ctx.error(f"{key}: minimum age for {item}, which is not a dose of this series")
        mspec = _mapping(ctx, mspec, key)
        unknown = set(mspec) - {"age", "source", "note"}
        if unknown:
            raise ctx.error(f"{key}: unknown key(s) {sorted(unknown)}")
        if "age" not in mspec:
            raise ctx.error(f"{key}: missing age")
        age = _offset(ctx, mspec["age"], f"{key}.age")
        if age.approx_days() <= 0:
            raise ctx.error(f"{key}.age must be positive, got {age}")
        ref = mspec.get("source")
        if ref is None:
            raise ctx.error(f"{key}: missing source (name one from the file's sources:)")
        if str(ref) not in sources:
            raise ctx.error(f"{key}: unknown source {ref!r} (known: {sorted(sources)})")
        note = " ".join(str(mspec.get("note") or "").split())
        min_ages[item] = MinAge(item=item, age=age, source=sources[str(ref)], note=note)
    screening = spec.get("screening")
    if screening is not None and screening not in ITEM_CODES:
        raise ctx.error(f"screening: unknown item {screening!r}")
    counted, counted_source, counted_note = _counted(ctx, spec, sources, doses)
    return Series(
        name=_text(ctx, name, "name"),
        label=_text(ctx, spec.get("label"), "label"),
        doses=tuple(doses),
        intervals=MappingProxyType(intervals),
        file=file,
        note=" ".join(str(spec.get("note") or "").split()),
        min_ages=MappingProxyType(min_ages),
        screening=None if screening is None else str(screening),
        counted=counted,
        counted_source=counted_source,
        counted_note=counted_note,
    )


def _counted(
    ctx: _Ctx, spec: dict, sources: Mapping[str, Source], doses: list[str]
) -> tuple[tuple[CountedLevel, ...], Source | None, str]:
    """The `counted_from` block of a series: other doses that count towards its status."""
    if "counted_from" not in spec:
        return (), None, ""
    block = _mapping(ctx, spec["counted_from"], "counted_from")
    unknown = set(block) - {"source", "levels", "note", "confidence"}
    if unknown:
        raise ctx.error(f"counted_from: unknown key(s) {sorted(unknown)}")
    ref = block.get("source")
    if ref is None:
        raise ctx.error("counted_from: missing source (name one from the file's sources:)")
    if str(ref) not in sources:
        raise ctx.error(f"counted_from: unknown source {ref!r} (known: {sorted(sources)})")
    confidence = block.get("confidence", "confirmed")
    if confidence not in CONFIDENCE:
        raise ctx.error(f"counted_from.confidence must be one of {list(CONFIDENCE)}")
    note = " ".join(str(block.get("note") or "").split())
    if confidence == "unconfirmed" and not note:
        raise ctx.error("counted_from: confidence: unconfirmed needs a note saying what to verify")
    raw_levels = block.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        raise ctx.error("counted_from.levels must be a non-empty list")
    levels: list[CountedLevel] = []
    for i, raw in enumerate(raw_levels):
        key = f"counted_from.levels[{i}]"
        level = _mapping(ctx, raw, key)
        ways = {"all_of", "any_of"} & set(level)
        if set(level) - {"status", "all_of", "any_of"} or len(ways) != 1 or "status" not in level:
            raise ctx.error(f"{key} needs 'status' and one of 'all_of' or 'any_of'")
        way = ways.pop()
        items = level[way]
        if not isinstance(items, list) or not items:
            raise ctx.error(f"{key}.{way} must list item codes")
        for item in items:
            if item not in ITEM_CODES or ITEM_KINDS[item] != "dose":
                raise ctx.error(f"{key}: {item!r} is not a dose item")
            if item in doses:
                raise ctx.error(f"{key}: {item} is a dose of this series itself")
        status = _int(ctx, level["status"], f"{key}.status", 1, len(doses))
        if levels and status <= levels[-1].status:
            raise ctx.error(f"{key}: status {status} must be above the level before it")
        levels.append(CountedLevel(status, tuple(items), way == "all_of"))
    return tuple(levels), sources[str(ref)], note


def _link_series(by_item: dict[str, AnyRule], series: list[Series]) -> None:
    """Check every series against the loaded doses and copy its intervals into them."""
    member: dict[str, str] = {}
    names: set[str] = set()
    for s in series:
        ctx = _Ctx(s.file, s.name, "series")
        if s.name in names:
            raise ctx.error("duplicate series name")
        names.add(s.name)
        previous: DoseRule | None = None
        for item in s.doses:
            rule = by_item.get(item)
            if item not in ITEM_CODES:
                raise ctx.error(f"unknown item {item!r} in doses")
            if not isinstance(rule, DoseRule):
                raise ctx.error(f"{item} is not a loaded dose rule")
            if item in member:
                raise ctx.error(f"{item} is already a dose of series {member[item]}")
            member[item] = s.name
            minimum = s.min_ages.get(item)
            if minimum is not None:
                rule = replace(rule, min_age=minimum.age, min_age_source=minimum.source)
            if previous is not None:
                if rule.at.approx_days() < previous.at.approx_days():
                    raise ctx.error(
                        f"{item} (at {rule.at}) comes after {previous.item} (at {previous.at})"
                    )
                interval = s.intervals[item]
                rule = replace(
                    rule,
                    after=previous.item,
                    min_interval=interval.min,
                    late_from_age=interval.late_from_age,
                    late_min_interval=interval.late_min,
                    interval_source=interval.source,
                )
            if previous is not None and rule.anchor != previous.anchor:
                raise ctx.error(f"{item} is timed from {rule.anchor!r}, {previous.item} is not")
            by_item[item] = replace(rule, series=s.name)
            previous = rule
        _check_min_ages(ctx, [by_item[item] for item in s.doses])  # type: ignore[misc]
        if s.screening is not None:
            screening = by_item.get(s.screening)
            if not isinstance(screening, ScreeningRule):
                raise ctx.error(f"screening: {s.screening} is not a loaded screening rule")
            if screening.anchor != previous.anchor:  # type: ignore[union-attr]
                raise ctx.error(f"screening: {s.screening} is not timed like the series' doses")
            by_item[s.screening] = replace(screening, counts_source=s.counted_source)
        for level in s.counted:
            for item in level.doses:
                counted = by_item.get(item)
                if not isinstance(counted, DoseRule) or counted.anchor != "birth":
                    raise ctx.error(f"counted_from: {item} is not a loaded dose timed from birth")


# Birth dates that exercise the month ends when the minimum ages are checked against `at`.
_PROBE_BIRTHS = (date(2024, 1, 31), date(2024, 2, 29), date(2023, 3, 31), date(2023, 6, 15))


def _check_min_ages(ctx: _Ctx, doses: list[DoseRule]) -> None:
    """A dose's recommended age may not be below its minimum age (so the planner never
    plans a dose too young when the earlier doses were on time)."""
    for birth in _PROBE_BIRTHS:
        for item, (earliest, first, age) in min_age_dates(doses, birth).items():
            rule = next(d for d in doses if d.item == item)
            if rule.school_grade is None and rule.at.apply(birth) < earliest:
                raise ctx.error(
                    f"{item} at {rule.at} is below its minimum age ({first} from {age})"
                )


def _check_references(by_item: Mapping[str, AnyRule]) -> None:
    for rule in by_item.values():
        if not isinstance(rule, DoseRule):
            continue
        ctx = _Ctx(rule.file, rule.item)
        for key, ref in (("after.item", rule.after), ("skip_if.item", rule.skip_if_item)):
            if ref is None:
                continue
            if ref == rule.item:
                raise ctx.error(f"{key} refers to the rule itself")
            target = by_item.get(ref)
            if not isinstance(target, DoseRule):
                raise ctx.error(f"{key} refers to {ref!r}, which is not a loaded dose rule")
        seen = {rule.item}
        ref = rule.after
        while ref is not None:
            if ref in seen:
                raise ctx.error(f"after.item chain loops back to {ref}")
            seen.add(ref)
            ref = by_item[ref].after  # type: ignore[union-attr]


def load_rules(directory: str | Path | None = None, *, anc_split: str | None = None) -> Rules:
    """Load and validate every ``*.yml`` in ``directory`` (default: the shipped rules)."""
    folder = Path(directory) if directory is not None else RULES_DIR
    paths = sorted(folder.glob("*.yml"))
    if not paths:
        raise RuleError(f"{folder}: no *.yml schedule files")
    by_item: dict[str, AnyRule] = {}
    active: str | None = None
    variants: tuple[str, ...] = ()
    series: list[Series] = []
    school: SchoolCalendar | None = None
    for path in paths:
        loaded = _load_file(path)
        if loaded.active is not None:
            if active is not None:
                raise RuleError(f"{path.name}: anc_split is defined in more than one file")
            active, variants = loaded.active, loaded.variants
        if loaded.school is not None:
            if school is not None:
                raise RuleError(f"{path.name}: school is defined in more than one file")
            school = loaded.school
        series += loaded.series
        for rule in loaded.rules:
            if rule.item in by_item:
                first = by_item[rule.item].file
                raise _Ctx(path.name, rule.item).error(f"duplicate item (already in {first})")
            by_item[rule.item] = rule
    if anc_split is not None:
        if anc_split not in variants:
            raise RuleError(f"anc_split {anc_split!r} is not one of {list(variants)}")
        active = anc_split
    _link_series(by_item, series)
    _check_references(by_item)
    chosen = active or _SINGLE_WINDOW
    for item, rule in list(by_item.items()):
        if isinstance(rule, VisitRule):
            key = chosen if chosen in rule.windows else _SINGLE_WINDOW
            if key not in rule.windows:
                raise _Ctx(rule.file, item).error(f"no window for variant {chosen!r}")
            by_item[item] = replace(
                rule, window=rule.windows[key], trimester=rule.trimesters.get(key)
            )
    ordered = dict(sorted(by_item.items(), key=lambda kv: ITEM_ORDER[kv[0]]))
    return Rules(
        doses=tuple(r for r in ordered.values() if isinstance(r, DoseRule)),
        visits=tuple(r for r in ordered.values() if isinstance(r, VisitRule)),
        vitamin_a=_only(ordered, VitaminARule),
        weighing=_only(ordered, WeighingRule),
        checkup=_only(ordered, CheckupRule),
        series=tuple(series),
        school=school,
        anc_split=active or "",
        anc_splits=variants,
        files=tuple(p.name for p in paths),
        by_item=MappingProxyType(ordered),
    )


def _only(rules: Mapping[str, AnyRule], cls: type) -> Any:
    found = [r for r in rules.values() if isinstance(r, cls)]
    return found[0] if found else None


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The shipped schedules, loaded and validated once per process."""
    return load_rules()


def iter_sources(rules: Iterable[AnyRule]) -> Iterable[tuple[str, Source]]:
    """(item, source) pairs, for audits and docs; a dose in a series also gives its interval's
    source."""
    for rule in rules:
        yield rule.item, rule.source
        interval_source = getattr(rule, "interval_source", None)
        if interval_source is not None:
            yield rule.item, interval_source
        min_age_source = getattr(rule, "min_age_source", None)
        if min_age_source is not None:
            yield rule.item, min_age_source
        counts_source = getattr(rule, "counts_source", None)
        if counts_source is not None:
            yield rule.item, counts_source
