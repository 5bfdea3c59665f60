"""Pure reminder planner: what is upcoming, due, overdue, expired or done for one person on a date.

No I/O and no clock reads: the date is passed in, the rules are loaded once
(:func:`scheduler.rules.default_rules`) and shared. Status meanings:

* ``upcoming`` - due within ``horizon_days`` from ``on`` (items further ahead are left out);
* ``due`` - inside the due window; ``overdue`` - past it but still offered;
* ``expired`` - no longer offered (age limit, window over, or a visit window that had closed
  before the person was registered, so it was never reminded);
* ``done`` - recorded as given (immediately, whatever its date relative to the schedule).

Doses of a series (OPV1-4, DPT1-4, PCV1-3, RV1-3, IPV1-2, MR1-3, DT-TD1-TD2) are planned in
order: only the *next* dose (the first one not recorded) can be due or overdue, from the later of
its age and the previous dose's actual date + the minimum interval. The doses after it are
``upcoming`` at their earliest possible date (the next dose given today at the earliest), with
``waits_for`` naming the dose that must be recorded first; they are never reminded. A dose
missing in the records while a later dose of its series is recorded is ``expired`` (the series
goes on from the later dose; the reason asks to check the Buku KIA). School doses (BIAS) are
planned by grade in their campaign month, whether or not the earlier doses are recorded.
Td for a pregnant woman (T1-T5) comes after her T-status screening (TSCREEN, due from HPHT,
never overdue, once per pregnancy): before it no Td dose is planned (see :func:`_screened`).

Doses and visits are always listed while the person is in the rule's tracking age; recurring
items (WEIGH, VITA, CKG) only when their window overlaps ``on`` +/- ``horizon_days``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

from scheduler.rules import (
    ALL_DOSE_ITEMS,
    ITEM_ORDER,
    SCREENING_ITEMS,
    CheckupRule,
    DoseRule,
    Offset,
    Rules,
    SchoolCalendar,
    ScreeningRule,
    Series,
    VisitRule,
    VitaminARule,
    WeighingRule,
    add_months,
    default_rules,
    min_age_dates,
)

__all__ = [
    "DONE",
    "DUE",
    "EXPIRED",
    "GESTATION_DAYS",
    "OVERDUE",
    "STATUSES",
    "UPCOMING",
    "Given",
    "PersonFacts",
    "PlanItem",
    "add_months",
    "age_in_months",
    "edd_from_hpht",
    "expand_posyandu",
    "hpht_from_edd",
    "plan",
    "pregnancy_start",
    "scheduled_doses",
]

UPCOMING, DUE, OVERDUE, EXPIRED, DONE = "upcoming", "due", "overdue", "expired", "done"
STATUSES = (UPCOMING, DUE, OVERDUE, EXPIRED, DONE)
GESTATION_DAYS = 280  # EDD (HPL) = HPHT + 280 days
_ONE_DAY = timedelta(days=1)
_GESTATION = timedelta(days=GESTATION_DAYS)
_ENDED = {
    "birth": "after the neonatal period",
    "delivery": "after the postpartum (nifas) period",
    "pregnancy": "after the pregnancy ended",
}


@dataclass(frozen=True)
class PersonFacts:
    """What the planner needs to know about one person; all dates are local calendar dates."""

    birth_date: date | None = None
    sex: str | None = None  # "L" / "P"
    hpht: date | None = None  # last menstrual period, if pregnant
    edd: date | None = None  # estimated due date, if known
    delivery_date: date | None = None  # for KF visits of the mother
    # The pregnancy that ended on delivery_date was lost (a miscarriage): its reminders end and
    # no nifas (KF) visits are reminded; the bidan's visit comes from the loss alert.
    pregnancy_lost: bool = False
    je_endemic: bool = False
    posyandu_days: tuple[date, ...] = ()  # concrete posyandu dates already expanded by the caller
    # When reminders could first be sent (registration of the person or of the pregnancy):
    # visit windows that closed before it are "expired", never "overdue".
    registered_on: date | None = None
    # The calendar year the child started kelas 1 SD, when known; otherwise the grade of the
    # school doses (BIAS) is estimated from the age (see scheduler/rules/school.yml).
    kelas_1_year: int | None = None
    # The parent did not know which doses the Buku KIA shows and a kader is to check the book:
    # doses due before this date wait for that check (`PlanItem.awaits_check`, never reminded).
    book_check_from: date | None = None


@dataclass(frozen=True)
class Given:
    """A schedule item recorded as given or attended."""

    item: str
    on: date
    source: str = "recorded"  # e.g. "self_report", "kader", "dashboard"


@dataclass(frozen=True)
class PlanItem:
    """One schedule item (or one occurrence of a recurring item) and its status on a date."""

    item: str  # item code
    # "1" for doses and visits; for recurring items a stable key like "2026-08" (VITA),
    # "2026-03-10" (WEIGH), "2027" (CKG)
    occurrence: str
    status: str  # "upcoming" | "due" | "overdue" | "expired" | "done"
    due_from: date
    overdue_from: date | None
    expires_on: date | None  # last day on which it is still offered
    reason: str  # short English explanation
    # A later dose of a series: it is offered only once this earlier dose is recorded, so it is
    # never "due" and never reminded; due_from is its earliest possible date.
    waits_for: str | None = None
    # Due or overdue before the kader's check of the Buku KIA (PersonFacts.book_check_from):
    # shown, never reminded, until the check is done.
    awaits_check: bool = False
    # Not recorded although a later dose of its series is (OPV2 missing, OPV3 given): the
    # series goes on from that later dose; the bidan checks the Buku KIA for this one.
    gap_after: str | None = None


# --------------------------------------------------------------------------- date helpers


def age_in_months(birth: date, on: date) -> int:
    """Completed calendar months from ``birth`` to ``on`` (consistent with :func:`add_months`)."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day:
        months -= 1
        if add_months(birth, months + 1) <= on:  # birth on the 29th-31st, ``on`` at month end
            months += 1
    return months


def edd_from_hpht(hpht: date) -> date:
    """Estimated due date (HPL) = HPHT + 280 days."""
    return hpht + _GESTATION


def hpht_from_edd(edd: date) -> date:
    """HPHT = EDD - 280 days."""
    return edd - _GESTATION


def pregnancy_start(person: PersonFacts) -> date | None:
    """HPHT if known, else derived from the EDD; None if neither is known."""
    if person.hpht is not None:
        return person.hpht
    if person.edd is not None:
        return person.edd - _GESTATION
    return None


def expand_posyandu(
    rule: Mapping[str, object] | Iterable[date | str], start: date, end: date
) -> tuple[date, ...]:
    """Posyandu dates from ``start`` to ``end`` inclusive, sorted.

    ``rule`` is ``{"nth": 2, "weekday": 1}`` (2nd Tuesday of each month; weekday 0 = Monday,
    nth 1-5 or -1 for the last; months without a 5th such weekday are skipped),
    ``{"dates": [...]}`` or a plain list of dates / ISO strings.
    """
    if isinstance(rule, Mapping):
        if "dates" in rule:
            return _explicit_dates(rule["dates"], start, end)  # type: ignore[arg-type]
        nth, weekday = rule.get("nth"), rule.get("weekday")
        if set(rule) != {"nth", "weekday"}:
            raise ValueError(f"posyandu rule needs 'nth' and 'weekday' or 'dates': {dict(rule)}")
        if not isinstance(nth, int) or isinstance(nth, bool) or nth not in (1, 2, 3, 4, 5, -1):
            raise ValueError(f"nth must be 1-5 or -1, got {nth!r}")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
        out = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            day = _nth_weekday(year, month, nth, weekday)
            if day is not None and start <= day <= end:
                out.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(out)
    if isinstance(rule, str | bytes):
        raise ValueError("posyandu rule must be a mapping or a list of dates")
    return _explicit_dates(rule, start, end)


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    days_in_month = calendar.monthrange(year, month)[1]
    if nth == -1:
        last = date(year, month, days_in_month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (nth - 1)
    return date(year, month, day) if day <= days_in_month else None


def _explicit_dates(dates: Iterable[date | str], start: date, end: date) -> tuple[date, ...]:
    out = set()
    for raw in dates:
        d = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        if start <= d <= end:
            out.add(d)
    return tuple(sorted(out))


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class _Compiled:
    """Rules grouped by anchor and tracking age, so a call does a few comparisons per group;
    doses as units (a series in order, or a single dose) with the longest tracking age."""

    doses: tuple[tuple[Offset, tuple[DoseRule, ...]], ...]
    # series timed from the pregnancy (Td for pregnant women), with the screening before them
    screened: tuple[tuple[Series, ScreeningRule | None, tuple[DoseRule, ...]], ...]
    school: SchoolCalendar | None
    birth: tuple[tuple[Offset, tuple[VisitRule, ...]], ...]
    pregnancy: tuple[tuple[Offset, tuple[VisitRule, ...]], ...]
    delivery: tuple[tuple[Offset, tuple[VisitRule, ...]], ...]
    vitamin_a: VitaminARule | None
    weighing: WeighingRule | None
    checkup: CheckupRule | None


@lru_cache(maxsize=16)
def _compile(rules: Rules) -> _Compiled:
    units: list[tuple[DoseRule, ...]] = []
    screened: list[tuple[Series, ScreeningRule | None, tuple[DoseRule, ...]]] = []
    placed: set[str] = set()
    for dose in rules.doses:
        if dose.item in placed:
            continue
        series = rules.series_of(dose.item)
        unit = (dose,) if series is None else tuple(rules.by_item[i] for i in series.doses)
        placed.update(d.item for d in unit)
        if dose.anchor == "pregnancy" and series is not None:
            screening = rules.get(series.screening) if series.screening else None
            screened.append((series, screening, unit))  # type: ignore[arg-type]
        elif dose.anchor == "birth":
            units.append(unit)  # type: ignore[arg-type]
    birth: dict[Offset, list[VisitRule]] = {}
    pregnancy: dict[Offset, list[VisitRule]] = {}
    delivery: dict[Offset, list[VisitRule]] = {}
    for visit in rules.visits:
        if visit.anchor == "birth":
            target = birth
        else:
            target = pregnancy if visit.anchor == "pregnancy" else delivery
        target.setdefault(visit.track_until, []).append(visit)
    return _Compiled(
        doses=tuple(
            (max((d.track_until for d in unit), key=Offset.approx_days), unit) for unit in units
        ),
        screened=tuple(screened),
        school=rules.school,
        birth=tuple((k, tuple(v)) for k, v in birth.items()),
        pregnancy=tuple((k, tuple(v)) for k, v in pregnancy.items()),
        delivery=tuple((k, tuple(v)) for k, v in delivery.items()),
        vitamin_a=rules.vitamin_a,
        weighing=rules.weighing,
        checkup=rules.checkup,
    )


def plan_memo(
    person: PersonFacts,
    given: Sequence[Given],
    on: date,
    rules: Rules | None = None,
    horizon_days: int = 60,
) -> Sequence[PlanItem]:
    """`plan`, remembered for persons with no records: in a district thousands share a birth
    date, so a full re-plan computes each distinct (facts, day) once."""
    if given:
        return plan(person, given, on, rules, horizon_days)
    return _plan_without_records(person, on, rules if rules is not None else default_rules(),
                                 horizon_days)  # fmt: skip


@lru_cache(maxsize=65_536)
def _plan_without_records(
    person: PersonFacts, on: date, rules: Rules, horizon_days: int
) -> tuple[PlanItem, ...]:
    return tuple(plan(person, (), on, rules, horizon_days))


def plan(
    person: PersonFacts,
    given: Iterable[Given],
    on: date,
    rules: Rules | None = None,
    horizon_days: int = 60,
) -> list[PlanItem]:
    """Plan items for ``person`` on ``on``, sorted by due date; records after ``on`` are ignored."""
    compiled = _compile(rules if rules is not None else default_rules())
    horizon_end = on + timedelta(days=horizon_days)
    lookback = on - timedelta(days=horizon_days)

    first: dict[str, Given] = {}  # earliest record per item code
    periodic: dict[str, dict[object, Given]] = {"WEIGH": {}, "VITA": {}, "CKG": {}}
    screens: dict[str, list[Given]] = {}
    for record in given:
        when = record.on
        if when > on:
            continue
        code = record.item
        known = first.get(code)
        if known is None or when < known.on:
            first[code] = record
        if code in SCREENING_ITEMS:  # once per pregnancy: every record is kept
            screens.setdefault(code, []).append(record)
        bucket = periodic.get(code)
        if bucket is not None:
            key = when.year if code == "CKG" else (when.year, when.month)
            if key not in bucket or when < bucket[key].on:
                bucket[key] = record

    out: list[PlanItem] = []
    female = person.sex != "L"
    birth = person.birth_date
    if birth is not None and birth <= on:
        cache: dict[int, date] = {}
        school = compiled.school
        for track_until, unit in compiled.doses:
            if on > _from_birth(cache, birth, *track_until.end_parts):
                continue
            _series(unit, birth, cache, person, first, on, horizon_end, out, school)
        begin = len(out)
        for track_until, visits in compiled.birth:
            if on > _from_birth(cache, birth, *track_until.end_parts):
                continue
            for visit in visits:
                _visit(visit, birth, None, person, first, on, horizon_end, out)
        out[begin:] = _superseded(out[begin:], on)  # KN1 missed: KN2 is the visit now
        if compiled.weighing is not None:
            weigh = periodic["WEIGH"]
            _weighing(compiled.weighing, birth, person, weigh, on, lookback, horizon_end, out)
        if compiled.vitamin_a is not None:
            vita = periodic["VITA"]
            _vitamin_a(compiled.vitamin_a, birth, person, vita, on, lookback, horizon_end, out)
        if compiled.checkup is not None:
            _checkup(compiled.checkup, birth, periodic["CKG"], on, lookback, horizon_end, out)

    start = pregnancy_start(person)
    if female and start is not None and start <= on:
        delivered = person.delivery_date
        cap = delivered - _ONE_DAY if delivered is not None and delivered > start else None
        begin = len(out)
        for track_until, visits in compiled.pregnancy:
            if on > track_until.last_day(start):
                continue
            for visit in visits:
                _visit(visit, start, cap, person, first, on, horizon_end, out)
        out[begin:] = _superseded(out[begin:], on)
        for series, screening, doses in compiled.screened:
            checks = screens.get(screening.item, []) if screening is not None else []
            # a screening counts for the pregnancy it was done in
            check = max((r for r in checks if r.on >= start), key=_on, default=None)
            _screened(series, screening, check, doses, start, cap, first, on, horizon_end, out)

    delivered = person.delivery_date
    if female and delivered is not None and delivered <= on and not person.pregnancy_lost:
        begin = len(out)
        for track_until, visits in compiled.delivery:
            if on > track_until.last_day(delivered):
                continue
            for visit in visits:
                _visit(visit, delivered, None, person, first, on, horizon_end, out)
        out[begin:] = _superseded(out[begin:], on)  # KF1 missed: KF2 is the visit now

    out.sort(key=_sort_key)
    check_from = person.book_check_from
    if check_from is not None:
        out = [_awaiting_check(i) if _held(i, check_from) else i for i in out]
        # a later dose of a held one has no date worth showing either ("Polio 2 mulai 2 Jan"
        # while polio 1 may be in the book): it waits for the check too
        held = {i.item for i in out if i.awaits_check}
        while True:  # DPT3 waits for DPT2, which waits for the held DPT1
            more = {i.item for i in out if i.waits_for in held} - held
            if not more:
                break
            held |= more
        out = [_awaiting_check(i) if i.item in held and not i.awaits_check else i for i in out]
    return out


_DOSES = frozenset(ALL_DOSE_ITEMS)


def _held(item: PlanItem, check_from: date) -> bool:
    return item.item in _DOSES and item.status in (DUE, OVERDUE) and item.due_from < check_from


def _awaiting_check(item: PlanItem) -> PlanItem:
    return replace(item, awaits_check=True, reason=f"{item.reason}; Buku KIA to be checked")


def scheduled_doses(
    person: PersonFacts, on: date, rules: Rules | None = None
) -> list[tuple[str, date]]:
    """The routine doses meant for this person (not school doses) whose recommended age is
    reached on `on`, each with the date of that age: what a Buku KIA that is complete for the
    child's age holds ("semua sesuai umur")."""
    birth = person.birth_date
    if birth is None:
        return []
    out = []
    for rule in (rules if rules is not None else default_rules()).doses:
        if rule.anchor != "birth" or rule.school_grade is not None:
            continue
        if not _applies(rule, person, birth):
            continue
        when = rule.at.apply(birth)
        if when <= on:
            out.append((rule.item, when))
    return sorted(out, key=lambda pair: (pair[1], ITEM_ORDER.get(pair[0], 99)))


def _from_birth(cache: dict[int, date], birth: date, months: int, days: int) -> date:
    """``add_months(birth, months) + days`` with the month shift memoised per call."""
    base = cache.get(months)
    if base is None:
        base = cache[months] = add_months(birth, months)
    return base + timedelta(days=days) if days else base


def _sort_key(item: PlanItem) -> tuple[date, int, str]:
    return item.due_from, ITEM_ORDER.get(item.item, 99), item.occurrence


# A series walk keeps, for the dose before the one being planned, one of these states.
_FIRST, _GIVEN, _WAITING, _GONE = "first", "given", "waiting", "gone"


def _series(
    rules: tuple[DoseRule, ...],
    birth: date,
    cache: dict[int, date],
    person: PersonFacts,
    first: dict[str, Given],
    on: date,
    horizon_end: date,
    out: list[PlanItem],
    school: SchoolCalendar | None,
) -> None:
    """Plan the doses of one series in order (a single dose is a series of one)."""
    last_recorded = -1  # index of the last dose of the series that is recorded
    for index, rule in enumerate(rules):
        if rule.item in first:
            last_recorded = index
    state = _FIRST
    waiting_since: date | None = None  # _WAITING: earliest date of the previous dose
    latest: Given | None = None  # the latest-dated dose of the series recorded so far
    previous: str | None = None
    pending: tuple[str, date] | None = None  # the next dose, still to be given: (code, earliest)
    # the minimum ages (WHO): no dose is planned below them, whatever was recorded before
    youngest = min_age_dates(rules, birth) if rules[0].series is not None else {}
    for index, rule in enumerate(rules):
        code = rule.item
        record = first.get(code)
        if not _applies(rule, person, birth) or _skipped(rule, first, birth, cache):
            if record is not None and (latest is None or record.on > latest.on):
                latest = record
            state, previous = (_GIVEN if latest is not None else _FIRST), code
            continue
        tracked = on <= _from_birth(cache, birth, *rule.track_until.end_parts)
        if rule.school_grade is not None:
            age_due, expires, when = _school_dates(rule, birth, person, school)
        else:
            at = rule.at
            age_due = _from_birth(cache, birth, at.months, at.days)
            until = rule.until
            expires = _from_birth(cache, birth, *until.end_parts) if until is not None else None
            when = "at birth" if not at.months and not at.days else f"at {at.words}"

        # A dose waits while the dose before it is still to be given, counting from that dose's
        # earliest date (today at the earliest); otherwise it counts from the latest dose of the
        # series actually given. A school dose whose previous dose can no longer be given is
        # planned by grade (see _GONE below), unless an earlier dose is still to come.
        waits_on: tuple[str, date] | None = None
        if record is None and state == _WAITING:
            waits_on = (previous, waiting_since)  # type: ignore[assignment]
        elif record is None and state == _GONE and rule.campaign:
            waits_on = pending
        base: date | None = None
        if waits_on is not None:
            base = max(waits_on[1], on)
        elif latest is not None:
            base = latest.on
        interval = rule.min_interval
        if interval is not None and base is not None:
            late = rule.late_from_age
            if late is not None and base >= _from_birth(cache, birth, late.months, late.days):
                interval = rule.late_min_interval or interval
        earliest = interval.apply(base) if interval is not None and base is not None else None
        due = earliest if earliest is not None and earliest > age_due else age_due
        minimum = youngest.get(code)
        if minimum is not None and minimum[0] > due:
            due = minimum[0]
        overdue: date | None = rule.overdue_after.apply(due)
        if expires is not None and overdue > expires:  # type: ignore[operator]
            overdue = None

        if record is not None:
            if tracked:
                reason = f"{code} given {record.on.isoformat()} ({record.source})"
                if earliest is not None and record.on < earliest:
                    reason += (
                        f"; earlier than {interval.words} after {rule.after}, "  # type: ignore[union-attr]
                        "next dose counted from it"
                    )
                if rule.after is not None and rule.after not in first and not rule.campaign:
                    reason += f"; {rule.after} not recorded: check the Buku KIA"
                out.append(PlanItem(code, "1", DONE, due, overdue, expires, reason))
            if latest is None or record.on > latest.on:
                latest = record
            state, previous = _GIVEN, code
            continue

        if index < last_recorded:  # the series went on without this dose
            later = next(first[r.item] for r in rules[index + 1 :] if r.item in first)
            if tracked:
                reason = (
                    f"{code} not recorded, but {later.item} was given {later.on.isoformat()}: "
                    f"the series goes on from {later.item}; check the Buku KIA"
                )
                out.append(
                    PlanItem(
                        code, "1", EXPIRED, age_due, None, expires, reason, gap_after=later.item
                    )
                )
            previous = code  # the state stays: the next dose counts from the last one given
            continue
        if not tracked:
            state, previous = _GONE, code
            continue

        if state == _GONE and not rule.campaign:
            reason = f"{code} not offered: {previous} can no longer be given"
            if expires is not None and on > expires:
                reason = f"{code} not offered after {rule.until.words}"  # type: ignore[union-attr]
            out.append(PlanItem(code, "1", EXPIRED, due, overdue, expires, reason))
            state, previous = _GONE, code
            continue
        if expires is not None and (on > expires or due > expires):
            if on > expires:
                limit = _limit_words(rule)
                reason = f"{code} not offered after {limit}"
            else:
                reason = (
                    f"{code} not offered after {_limit_words(rule)}: earliest date "
                    f"{due.isoformat()} ({interval.words} after {rule.after}) is too late"  # type: ignore[union-attr]
                )
            out.append(PlanItem(code, "1", EXPIRED, due, overdue, expires, reason))
            state, previous = _GONE, code
            continue
        if waits_on is not None:
            before = waits_on[0]
            if due <= horizon_end:
                reason = (
                    f"{code} after {before} (at least {interval.words} later): "  # type: ignore[union-attr]
                    f"earliest {due.isoformat()}, once {before} is recorded"
                )
                if rule.campaign:
                    reason += " or no longer offered (school dose)"
                out.append(PlanItem(code, "1", UPCOMING, due, overdue, expires, reason, before))
            state, waiting_since, previous = _WAITING, due, code
            continue

        if on < due:
            status = UPCOMING
        elif overdue is not None and on >= overdue:
            status = OVERDUE
        else:
            status = DUE
        state, waiting_since, previous = _WAITING, due, code
        pending = (code, due)
        if status == UPCOMING and due > horizon_end:
            continue
        if latest is not None and earliest is not None and earliest >= age_due:
            when = f"{interval.words} after {latest.item} ({latest.on.isoformat()})"  # type: ignore[union-attr]
        if status == OVERDUE:
            reason = f"{code} overdue since {overdue.isoformat()} (due {when})"  # type: ignore[union-attr]
            if expires is not None:
                reason += f"; offered until {_limit_words(rule)}"
            if rule.overdue_note:
                reason += f"; {rule.overdue_note}"
        else:
            reason = f"{code} due {when}"
        if rule.campaign and rule.after is not None and rule.after not in first:
            reason += "; school dose, planned by grade"
        if rule.only_if == "je_endemic":
            reason += "; JE-endemic area"
        out.append(PlanItem(code, "1", status, due, overdue, expires, reason))


def _screened(
    series: Series,
    screening: ScreeningRule | None,
    checked: Given | None,
    doses: tuple[DoseRule, ...],
    start: date,
    cap: date | None,
    first: dict[str, Given],
    on: date,
    horizon_end: date,
    out: list[PlanItem],
) -> None:
    """A series given during a pregnancy after a screening (Td for pregnant women, see
    scheduler/rules/td_women.yml): the screening is due first and never overdue; the doses
    are planned only once she is screened (the screening or a dose of the series recorded),
    only the next one due, and none after the pregnancy. Other doses recorded (her own
    childhood DPT-HB-Hib, DT, Td at school) count towards the status (`Series.counted`)."""
    head = doses[0]
    if on > head.track_until.last_day(start):
        return
    ends = head.until.last_day(start) if head.until is not None else None
    if cap is not None and (ends is None or cap < ends):
        ends = cap
    still = ends is None or on <= ends  # still pregnant: open items are planned
    childhood = {
        code: first[code].on for level in series.counted for code in level.doses if code in first
    }
    counted, counted_on, counted_item = series.counted_status(childhood)
    top = max((n for n, d in enumerate(doses, 1) if d.item in first), default=0)
    latest: Given | None = None  # the latest dose of the series recorded so far
    for n, rule in enumerate(doses, 1):
        record = first.get(rule.item)
        if record is not None:
            reason = f"{rule.item} given {record.on.isoformat()} ({record.source})"
            early = latest is not None and rule.min_interval is not None
            if early and record.on < rule.min_interval.apply(latest.on):  # type: ignore[union-attr]
                reason += f"; earlier than {rule.min_interval.words} after {latest.item}"
            out.append(PlanItem(rule.item, "1", DONE, record.on, None, ends, reason))
            if latest is None or record.on > latest.on:
                latest = record
        elif n <= counted:
            reason = (
                f"{rule.item} counted from the childhood doses on record (status T{counted}, "
                f"last {counted_item} {counted_on.isoformat()})"  # type: ignore[union-attr]
            )
            out.append(PlanItem(rule.item, "1", DONE, counted_on, None, ends, reason))  # type: ignore[arg-type]
        elif n < top and still:
            reason = (
                f"{rule.item} not recorded, but {doses[top - 1].item} was: the series goes on "
                f"from {doses[top - 1].item}; check the Buku KIA"
            )
            out.append(PlanItem(rule.item, "1", EXPIRED, start, None, ends, reason))
    status_now = max(counted, top)
    screened = top > 0 or checked is not None
    if screening is not None:
        due = screening.at.apply(start)
        if checked is not None:
            reason = f"{screening.item} done {checked.on.isoformat()} ({checked.source})"
            out.append(PlanItem(screening.item, "1", DONE, due, None, ends, reason))
        elif not screened and status_now < len(doses) and still:
            reason = f"{screening.item} due at the first antenatal check (before any Td dose)"
            if counted:
                reason += f"; childhood doses on record give T{counted}"
            status = UPCOMING if on < due else DUE
            if status == DUE or due <= horizon_end:
                out.append(PlanItem(screening.item, "1", status, due, None, ends, reason))
    if not screened or not still or status_now >= len(doses):
        return
    rule = doses[status_now]
    base = latest.on if latest is not None else None
    if counted_on is not None and (base is None or counted_on > base):
        base = counted_on
    age_due = rule.at.apply(start)
    earliest = rule.min_interval.apply(base) if rule.min_interval and base else None
    due = earliest if earliest is not None and earliest > age_due else age_due
    when = "in this pregnancy"
    if earliest is not None and earliest >= age_due and base is not None:
        when = f"{rule.min_interval.words} after T{status_now} ({base.isoformat()})"  # type: ignore[union-attr]
    if checked is not None and checked.on > due:  # not due before she was screened
        due, when = checked.on, f"after the T-status screening ({checked.on.isoformat()})"
    if ends is not None and due > ends:
        return  # falls after this pregnancy: not planned here (td_women.yml)
    overdue: date | None = rule.overdue_after.apply(due)
    if ends is not None and overdue > ends:  # type: ignore[operator]
        overdue = None
    if on < due:
        status = UPCOMING
    elif overdue is not None and on >= overdue:
        status = OVERDUE
    else:
        status = DUE
    if status == UPCOMING and due > horizon_end:
        return
    reason = f"{rule.item} due {when}"
    if status == OVERDUE:
        reason = f"{rule.item} overdue since {overdue.isoformat()} (due {when})"  # type: ignore[union-attr]
    out.append(PlanItem(rule.item, "1", status, due, overdue, ends, reason))
    waiting, before = max(due, on), rule
    for later in doses[status_now + 1 :]:
        due = later.min_interval.apply(waiting)  # type: ignore[union-attr]
        if due > horizon_end or (ends is not None and due > ends):
            break
        reason = (
            f"{later.item} after {before.item} (at least {later.min_interval.words} later): "  # type: ignore[union-attr]
            f"earliest {due.isoformat()}, once {before.item} is recorded"
        )
        overdue = later.overdue_after.apply(due)
        if ends is not None and overdue > ends:
            overdue = None
        out.append(PlanItem(later.item, "1", UPCOMING, due, overdue, ends, reason, before.item))
        waiting, before = due, later


def _on(record: Given) -> date:
    return record.on


def _applies(rule: DoseRule, person: PersonFacts, birth: date) -> bool:
    """The dose is meant for this person (area, programme cohort, sex)."""
    if rule.only_if == "je_endemic" and not person.je_endemic:
        return False
    if rule.born_from is not None and birth < rule.born_from:
        return False
    return rule.sex is None or person.sex == rule.sex


def _skipped(rule: DoseRule, first: dict[str, Given], birth: date, cache: dict[int, date]) -> bool:
    """Not needed in this catch-up path (e.g. PCV started late)."""
    if rule.skip_if_item is None:
        return False
    trigger = first.get(rule.skip_if_item)
    age = rule.skip_if_from_age
    return trigger is not None and trigger.on >= _from_birth(cache, birth, age.months, age.days)  # type: ignore[union-attr]


def _school_dates(
    rule: DoseRule, birth: date, person: PersonFacts, school: SchoolCalendar | None
) -> tuple[date, date | None, str]:
    """(due, last day offered, "when" text) of a BIAS dose: the 1st of its campaign month in
    the school year of its grade (known, or estimated from the age)."""
    assert school is not None and rule.school_grade is not None and rule.school_month
    grade = rule.school_grade
    if person.kelas_1_year is not None:
        year, how = person.kelas_1_year + grade - 1, ""
    else:
        year, how = school.school_year(birth, grade), f", by age {school.age_for(grade)}"
    start = school.year_start(year)
    month = rule.school_month
    due = date(year if month >= start.month else year + 1, month, 1)
    if rule.until_school_year:
        expires: date | None = school.year_start(year + 1) - _ONE_DAY
    else:
        expires = rule.until.last_day(birth) if rule.until is not None else None
    when = f"at BIAS {calendar.month_name[month]} {due.year} (kelas {grade}{how})"
    return due, expires, when


def _limit_words(rule: DoseRule) -> str:
    if rule.until_school_year:
        return f"the school year of kelas {rule.school_grade}"
    return rule.until.words  # type: ignore[union-attr]


def _superseded(items: list[PlanItem], on: date) -> list[PlanItem]:
    """A missed visit of a series (ANC, KN, KF) whose next visit's window has begun is not
    made up: at 39 weeks the bidan wants one "periksa hamil sekarang", not ANC3, ANC4 and ANC5
    overdue; on day 10 one newborn visit, not KN1, KN2 and KN3. The earlier ones become
    expired; the latest begun visit stays due or overdue."""
    begun = [i for i in items if i.status in (DUE, OVERDUE) and i.due_from <= on]
    if len(begun) < 2:
        return items
    latest = max(begun, key=lambda i: i.due_from)
    return [
        replace(
            i,
            status=EXPIRED,
            overdue_from=None,
            reason=f"{i.item} missed; {latest.item} is the visit due now",
        )
        if i in begun and i is not latest
        else i
        for i in items
    ]


def _visit(
    rule: VisitRule,
    anchor: date,
    cap: date | None,
    person: PersonFacts,
    first: dict[str, Given],
    on: date,
    horizon_end: date,
    out: list[PlanItem],
) -> None:
    code = rule.item
    start = rule.window[0].apply(anchor)
    last = rule.window[1].last_day(anchor)
    expires = rule.until.last_day(anchor) if rule.until is not None else None
    if cap is not None and (expires is None or cap < expires):
        expires = cap
    if cap is not None and start > cap:
        return  # ANC6 of a pregnancy that ended at 30 weeks: never due, not "missed"
    overdue: date | None = last + _ONE_DAY
    if expires is not None and overdue > expires:  # type: ignore[operator]
        overdue = None

    if rule.trimester is not None:
        weeks_from, weeks_to = (offset.days // 7 for offset in rule.window)
        what = f"trimester {rule.trimester}, weeks {weeks_from}-{weeks_to}"
    else:
        what = f"{start.isoformat()} to {last.isoformat()}"
    if rule.doctor:
        what += ", with a doctor incl. ultrasound"

    record = first.get(code)
    registered = person.registered_on
    if record is not None:
        status, reason = DONE, f"{code} attended {record.on.isoformat()} ({record.source})"
    elif registered is not None and last < registered:
        status, reason = EXPIRED, f"{code} window closed before registration ({what})"
    elif expires is not None and on > expires:
        status, reason = EXPIRED, f"{code} not offered {_ENDED[rule.anchor]} ({what})"
    elif on < start:
        if start > horizon_end:
            return
        status, reason = UPCOMING, f"{code} due {start.isoformat()} ({what})"
    elif on <= last:
        status, reason = DUE, f"{code} due until {last.isoformat()} ({what})"
    else:
        status, reason = OVERDUE, f"{code} window closed {last.isoformat()}, not recorded ({what})"
    out.append(PlanItem(code, "1", status, start, overdue, expires, reason))


def _weighing(
    rule: WeighingRule,
    birth: date,
    person: PersonFacts,
    done: dict[object, Given],
    on: date,
    lookback: date,
    horizon_end: date,
    out: list[PlanItem],
) -> None:
    if not person.posyandu_days:
        return
    low = max(lookback, rule.from_age.apply(birth))
    high = min(horizon_end, rule.until.last_day(birth))
    if low > high:
        return
    code = rule.item
    for day in set(person.posyandu_days):
        if not low <= day <= high:
            continue
        record = done.get((day.year, day.month))
        if record is not None:
            status, reason = DONE, f"weighed {record.on.isoformat()} ({record.source})"
        elif day > on:
            status, reason = UPCOMING, f"posyandu weighing on {day.isoformat()}"
        elif day == on:
            status, reason = DUE, f"posyandu weighing today ({day.isoformat()})"
        else:
            status, reason = EXPIRED, f"posyandu day {day.isoformat()} passed, no weighing recorded"
        out.append(PlanItem(code, day.isoformat(), status, day, None, day, reason))


def _vitamin_a(
    rule: VitaminARule,
    birth: date,
    person: PersonFacts,
    done: dict[object, Given],
    on: date,
    lookback: date,
    horizon_end: date,
    out: list[PlanItem],
) -> None:
    code = rule.item
    for year in range(lookback.year, horizon_end.year + 1):
        for month in rule.months:
            first_day = date(year, month, 1)
            last_day = date(year, month, calendar.monthrange(year, month)[1])
            if last_day < lookback or first_day > horizon_end or first_day < birth:
                continue
            age = age_in_months(birth, first_day)
            band = next((b for b in rule.bands if b.from_months <= age <= b.to_months), None)
            if band is None:
                continue
            label = (
                f"Vitamin A month {calendar.month_name[month]} {year}: {band.capsule} capsule "
                f"({band.dose_iu:,} IU) for {band.from_months}-{band.to_months} months"
            )
            record = done.get((year, month))
            if record is not None:
                status = DONE
                reason = f"{label}; given {record.on.isoformat()} ({record.source})"
            elif on < first_day:
                status, reason = UPCOMING, label
            elif on <= last_day:
                status, reason = DUE, label
                posyandu = sorted(d for d in person.posyandu_days if first_day <= d <= last_day)
                if posyandu:
                    reason += f"; posyandu on {posyandu[0].isoformat()}"
            else:
                status, reason = EXPIRED, f"{label}; month over, not recorded"
            occurrence = f"{year:04d}-{month:02d}"
            out.append(PlanItem(code, occurrence, status, first_day, None, last_day, reason))


def _checkup(
    rule: CheckupRule,
    birth: date,
    done: dict[object, Given],
    on: date,
    lookback: date,
    horizon_end: date,
    out: list[PlanItem],
) -> None:
    code = rule.item
    for year in range(max(lookback.year, birth.year), horizon_end.year + 1):
        age = year - birth.year
        band = rule.band_for(age)
        if band is None or not band.remind:
            continue
        birthday = add_months(birth, 12 * age)
        due = max(birthday, rule.starts_on)
        expires = date(year, 12, 31)
        if due > expires or expires < lookback:
            continue
        record = done.get(year)
        if record is None and due > horizon_end:
            continue
        overdue: date | None = rule.overdue_after.apply(due)
        if overdue > expires:  # type: ignore[operator]
            overdue = None
        label = f"CKG {year} (age {age}): {band.label}"
        if record is not None:
            status, reason = DONE, f"{label}; done {record.on.isoformat()} ({record.source})"
        elif on < due:
            status, reason = UPCOMING, f"{label}; suggested from the birthday"
        elif overdue is None or on < overdue:
            status, reason = DUE, f"{label}; suggested from the birthday"
        elif on <= expires:
            status, reason = OVERDUE, f"{label}; still free until 31 December {year}"
        else:
            status, reason = EXPIRED, f"{label}; not done in {year}"
        out.append(PlanItem(code, str(year), status, due, overdue, expires, reason))
