"""One way to record a dose or a checkup visit, for every entry point (kader IMUN, the
dashboard, the resident's SUDAH): it checks that the item fits the person and the date, keeps
the source, closes the item's reminders and re-plans the person in the same transaction, so
the next reminder and JADWAL are right at once.

A refusal is a `DoseRefused` whose `reason` names the catalog text `dose.<reason>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalog import Catalog
from bot.clock import to_db
from bot.models import Contact, DoseRecord, Person, Reminder
from scheduler.reminders import Zones, plan_person
from scheduler.rules import (
    ALL_DOSE_ITEMS,
    SCREENING_ITEMS,
    VISIT_ITEMS,
    WUS_DOSE_ITEMS,
    DoseRule,
    Offset,
    VisitRule,
    default_rules,
)

RECORDABLE = ALL_DOSE_ITEMS + SCREENING_ITEMS + VISIT_ITEMS
# Items for women (and girls of MOTHER_ITEMS_MIN_YEARS and older) only: the antenatal and
# postnatal visits, the T-status screening and Td for women (T1-T5).
WOMEN_ITEMS = ("ANC", "KF", *WUS_DOSE_ITEMS, *SCREENING_ITEMS)
# The parent's word (SUDAH to a reminder; the Buku KIA read out at registration, with the date
# in the book or, when not said, the scheduled date as an estimate): recorded as such, never
# refused; the bidan checks the book.
PARENT_SOURCES = ("self_report", "kia_book", "kia_estimate")
NEWBORN_VISIT_DAYS = 35  # KN1-KN3 fall in the first 28 days; a few days' grace for late records
# A birth date worked out from an age ("7 bulan" = today minus 7 months) is the latest the
# child can have been born: the child may be older, by up to a month for an age in months.
# So the minimum ages refuse a dose only when it is a month short of them, and the upper ages
# (the child is at least that old) allow a fortnight for an age rounded up.
ESTIMATE_OLDER_DAYS = 31
ESTIMATE_ROUNDING_DAYS = 14
# Who says "the previous dose of the series is not recorded" matters: a kader or the
# dashboard records the earlier dose first; an import row carries its whole history.
NEEDS_PREVIOUS = ("kader", "dashboard")
# A register's old records: a dose given up to this many days before its minimum interval
# still counts (WHO's 4-day grace), so one early date does not reject a child's whole history.
REGISTER_GRACE_DAYS = 4
MOTHER_ITEMS_MIN_YEARS = 10  # ANC and KF visits are for girls and women of this age and older
SCHOOL_AGE_YEARS = 6  # the school (BIAS) doses: from school age (flows/lifestage school_age)


class DoseRefused(Exception):
    """The dose cannot be recorded: `reason` is the catalog key under `dose.`."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values

    def text(self, cat: Catalog) -> str:
        values = {
            k: offset_words(cat, v) if isinstance(v, Offset) else v for k, v in self.values.items()
        }
        return cat.t(f"dose.{self.reason}", **values)


def offset_words(cat: Catalog, offset: Offset) -> str:
    """An offset in the catalog's words: "6m29d" -> "6 bulan 29 hari", "14w" -> "14 minggu"."""
    return " ".join(f"{value} {cat.t(f'dose.unit_{unit}')}" for value, unit in offset.parts())


@dataclass(frozen=True)
class Given:
    """One item to record: what, when, and who says so."""

    item: str
    given_on: date
    source: str  # kader | dashboard | import | self_report | kia_book | kia_estimate
    worker_id: int | None = None
    occurrence: str = "1"


def check(
    session: Session, person: Person, given: Given, today: date, batch: frozenset = frozenset()
) -> None:
    """Refuse an item that does not fit the person, an impossible date, a dose below its
    minimum age or above its upper age, before its series' minimum interval or without the
    previous dose of its series (recorded, or in the same `batch` of items), or one already
    recorded."""
    if given.source in PARENT_SOURCES:
        # the resident's word about what a reminder asked (vitamin A and weighing too):
        # recorded as such, never refused; the bidan checks the book
        return
    rules = default_rules()
    item, on = given.item, given.given_on
    if item not in RECORDABLE:
        raise DoseRefused("unknown_item", item=item)
    label = item
    if on > today:
        raise DoseRefused("future", item=label, date=on.isoformat())
    # A birth date worked out from an age ("3 taun") is no ground to refuse the dates a kader
    # copies from the Buku KIA: the age checks need a birth date that was told as a date.
    known_birth = None if person.birth_date_estimated else person.birth_date
    if known_birth and on < known_birth:
        raise DoseRefused("before_birth", item=label, date=on.isoformat())
    rule = rules.get(item)
    if isinstance(rule, DoseRule) and rule.sex and person.sex and person.sex != rule.sex:
        raise DoseRefused("not_for_person", item=label, name=person.name)
    if item.startswith(WOMEN_ITEMS):
        too_young = person.birth_date and (on - person.birth_date).days < 365 * (
            MOTHER_ITEMS_MIN_YEARS
        )
        if person.sex == "L" or too_young:
            raise DoseRefused("not_for_person", item=label, name=person.name)
    too_old = person.birth_date and (on - person.birth_date).days > NEWBORN_VISIT_DAYS
    if item.startswith("KN") and too_old:
        raise DoseRefused("not_for_person", item=label, name=person.name)
    _visit_fits(person, item, rule, on, label)
    je_only = isinstance(rule, DoseRule) and rule.only_if == "je_endemic" and session is not None
    if je_only and not je_area(session, person):  # JE only where it is endemic
        raise DoseRefused("not_je_area", item=label, name=person.name)
    school_dose = isinstance(rule, DoseRule) and rule.campaign and person.birth_date
    if school_dose and (on - person.birth_date).days < 365 * SCHOOL_AGE_YEARS:  # HPV for a baby
        raise DoseRefused("not_for_person", item=label, name=person.name)
    if isinstance(rule, DoseRule) and known_birth:
        _not_too_young(rules, item, on, known_birth)
    elif isinstance(rule, DoseRule) and person.birth_date:  # MR1 for a "7 bulan" child
        _not_too_young(
            rules,
            item,
            on,
            person.birth_date - timedelta(days=ESTIMATE_OLDER_DAYS),
            told=person.birth_date,
        )
    from_birth = getattr(rule, "anchor", None) == "birth"
    tracked = getattr(rule, "track_until", None) if from_birth else None
    if tracked is not None and known_birth and on > tracked.last_day(known_birth):
        raise DoseRefused("not_for_person", item=label, name=person.name)  # HB0 for an adult
    if from_birth and person.birth_date is None and _is_mother(person):
        raise DoseRefused("not_for_person", item=label, name=person.name)  # BCG for a mother
    recorded = (
        {
            d.item: d
            for d in session.execute(
                select(DoseRecord).where(DoseRecord.person_id == person.id)
            ).scalars()
        }
        if person.id is not None
        else {}
    )
    existing = recorded.get(item)
    if item in SCREENING_ITEMS and person.id is not None:  # once per pregnancy
        started = _pregnancy_start(person)
        for done in session.execute(
            select(DoseRecord).where(DoseRecord.person_id == person.id, DoseRecord.item == item)
        ).scalars():  # a screening of an earlier pregnancy is kept and does not count
            if started is None or done.given_on >= started:
                raise DoseRefused("exists", item=label, date=done.given_on.isoformat())
        existing = None
    if existing is not None and existing.occurrence == given.occurrence:
        raise DoseRefused("exists", item=label, date=existing.given_on.isoformat())
    _in_order(rules, item, on, recorded)
    from_birth_until = isinstance(rule, DoseRule) and rule.anchor == "birth"
    if from_birth_until and rule.until is not None and person.birth_date:  # type: ignore[union-attr]
        last = rule.until.last_day(person.birth_date)
        grace = ESTIMATE_ROUNDING_DAYS if person.birth_date_estimated else 0
        if (on - last).days > grace:  # RV after 6 months 29 days: not to be given
            raise DoseRefused("too_old", item=label, name=person.name, until=rule.until)
    previous = recorded.get(rule.after) if isinstance(rule, DoseRule) and rule.after else None
    grace = REGISTER_GRACE_DAYS if given.source == "import" else 0
    if isinstance(rule, DoseRule) and rule.after:
        # the interval runs from the latest earlier dose of the series on record, so a gap
        # (OPV3 imported without OPV2) and a late OPV2 do not let OPV4 follow OPV2 the same day
        series = _series_of(rules, item)
        earlier = [recorded[i] for i in series[: series.index(item)] if i in recorded]
        latest = max(earlier, key=lambda d: d.given_on, default=None)
        if latest is not None and (previous is None or latest.given_on > previous.given_on):
            _not_too_soon(rule, item, on, latest.given_on, person.birth_date, grace, latest.item)
    counted = _counted(rules, item, recorded) if previous is None else None
    if counted is not None:  # T4 after the DPT-HB-Hib booster: her childhood doses gave T3
        _not_too_soon(rule, item, on, counted[1], person.birth_date, grace, counted[2])
    elif previous is not None:
        _not_too_soon(rule, item, on, previous.given_on, person.birth_date, grace)
    elif (
        isinstance(rule, DoseRule)
        and rule.after
        and not rule.campaign
        and given.source in NEEDS_PREVIOUS
        and rule.after not in batch
    ):  # "IMUN 3 IPV2" for a child without IPV1: most likely IPV1 was meant
        raise DoseRefused("previous_missing", item=label, previous=rule.after, name=person.name)


def _counted(
    rules: Any, item: str, recorded: dict[str, DoseRecord]
) -> tuple[int, date, str] | None:
    """When the previous dose of `item`'s series is reached by the other doses on record that
    count towards it (her childhood DPT-HB-Hib, DT, Td for Td-WUS): (status, the date of the
    latest counted dose, that dose); else None."""
    series = rules.series_of(item)
    if series is None or not series.counted:
        return None
    status, latest, which = series.counted_status({k: d.given_on for k, d in recorded.items()})
    if latest is None or series.doses.index(item) > status:
        return None
    return status, latest, which


WOMAN_TD_YEARS = 15  # WUS from 15 years (reference 1.5): "Td 1" means her own T1, not BIAS


def _womans_td(person: Person, code: str, today: date) -> str:
    """ "IMUN 12 td1" / "td" for a woman (15 or older, or pregnant with no birth date): her own
    Td series (T1, or the next T dose), not the school Td of kelas 2 (TD1)."""
    match = re.fullmatch(r"TD([1-5]?)", code)
    if match is None or person.sex == "L":
        return code
    born = person.birth_date
    adult = born is not None and (today - born).days >= 365 * WOMAN_TD_YEARS
    if not (adult or (born is None and _is_mother(person))):
        return code
    return f"T{match.group(1)}"


def _pregnancy_start(person: Person) -> date | None:
    if person.hpht is not None:
        return person.hpht
    return person.edd - timedelta(days=280) if person.edd is not None else None


def next_of_series(session: Session, person: Person, code: str, today: date | None = None) -> str:
    """A series named without its number ("IMUN 3 campak" -> MR): its first dose not yet
    recorded for the person (MR1, else MR2); any other code as it is."""
    code = _womans_td(person, code, today) if today is not None else code
    if code in RECORDABLE:
        return code
    doses_of = [i for i in ALL_DOSE_ITEMS if i.rstrip("0123456789") == code and i != code]
    if not doses_of:
        return code
    recorded = set(
        session.execute(select(DoseRecord.item).where(DoseRecord.person_id == person.id))
        .scalars()
        .all()
    )
    return next((i for i in doses_of if i not in recorded), doses_of[-1])


def _visit_fits(person: Person, item: str, rule: Any, on: date, label: str) -> None:
    """A visit on a day it can have happened: ANC during the pregnancy (from HPHT, before a
    recorded delivery), KF after the delivery, and no KN/KF visit before its window opens
    (KN3 on day 1 is not a visit that happened)."""
    if not isinstance(rule, VisitRule):
        return
    if item.startswith("ANC"):
        start = person.hpht or (person.edd - timedelta(days=280) if person.edd else None)
        ended = person.delivery_date
        if start is None or on < start or (ended is not None and on >= ended):
            raise DoseRefused("not_in_pregnancy", item=label, name=person.name)
        return
    if item.startswith("KF"):
        anchor = person.delivery_date
        if anchor is None or on < anchor:
            raise DoseRefused("not_after_birth", item=label, name=person.name)
    else:  # KN: from the birth date, when it was told as a date
        anchor = None if person.birth_date_estimated else person.birth_date
    opens = rule.window[0].apply(anchor) if anchor is not None else None
    if opens is not None and on < opens:
        raise DoseRefused(
            "visit_too_early", item=label, date=on.isoformat(), earliest=opens.isoformat()
        )


def je_area(session: Session, person: Person) -> bool:
    """Whether the person's area (or the household's) lies in a JE-endemic area."""
    from scheduler.reminders import Zones

    area_id = person.area_id
    if area_id is None and person.contact_id is not None:
        contact = session.get(Contact, person.contact_id)
        area_id = contact.area_id if contact else None
    return area_id is None or Zones(session, "Asia/Jakarta").je(area_id)


def _is_mother(person: Person) -> bool:
    """A pregnancy on record: a woman, whatever her unknown birth date."""
    return bool(person.hpht or person.edd or person.delivery_date)


def _not_too_young(rules: Any, item: str, on: date, birth: date, told: date | None = None) -> None:
    """Refuse a dose given below its minimum age (the series' `min_age`, WHO). `told`: the
    birth date as the family gave it when `birth` allows for its doubt (an age, not a date):
    the refusal states the child's age and the earliest day from what the family said."""
    limit = rules.earliest_by_age(item, birth)
    if limit is None or on >= limit[0]:
        return
    _earliest, first, age = limit
    said = told or birth
    earliest = rules.earliest_by_age(item, said)[0] if told else _earliest
    raise DoseRefused(
        "too_young" if first == item else "too_young_series",
        item=item,
        date=on.isoformat(),
        age_days=(on - said).days,
        min_age=age,
        first=first,
        earliest=earliest.isoformat(),
    )


def _series_of(rules: Any, item: str) -> list[str]:
    """The doses of the item's series, or the visits of its kind (ANC1-6, KN1-3, KF1-4), in
    their order; just the item for a single dose."""
    rule = rules.get(item)
    if isinstance(rule, DoseRule) and rule.series:
        return [i for i in ALL_DOSE_ITEMS if getattr(rules.get(i), "series", None) == rule.series]
    if isinstance(rule, VisitRule):
        kind = item.rstrip("0123456789")
        return [i for i in VISIT_ITEMS if i.rstrip("0123456789") == kind]
    return [item]


# Records the family's word dated by the schedule ("udah 2x periksa", "lengkap"): their dates
# are estimates, so a real visit on the same day or out of their order is not refused for them.
ESTIMATED_SOURCES = ("kia_estimate",)


def _in_order(rules: Any, item: str, on: date, recorded: dict[str, DoseRecord]) -> None:
    """Refuse a second dose of one series (or a second antenatal, neonatal or postnatal visit)
    on the same day, and a dose or visit dated against the order of those on record (OPV2
    after OPV3, ANC3 after ANC5): each is a record of something that cannot have happened."""
    series = _series_of(rules, item)
    if len(series) < 2:
        return
    mine = series.index(item)
    for other in series:
        dose = recorded.get(other)
        if other == item or dose is None or dose.source in ESTIMATED_SOURCES:
            continue
        if dose.given_on == on:
            raise DoseRefused("same_day", item=item, other=other, date=on.isoformat())
        later = series.index(other) > mine
        if later and dose.given_on < on or not later and dose.given_on > on:
            raise DoseRefused(
                "out_of_order",
                item=item,
                date=on.isoformat(),
                other=other,
                other_date=dose.given_on.isoformat(),
            )


def _not_too_soon(
    rule: DoseRule,
    item: str,
    on: date,
    previous_on: date,
    birth: date | None = None,
    grace_days: int = 0,
    previous: str | None = None,
) -> None:
    """Refuse a dose given before its series' minimum interval after the previous dose: the
    planner's own interval (PCV2 after a PCV1 given late: 8 weeks, not 4), less `grace_days`
    for a register's old records (WHO counts doses given up to 4 days early)."""
    if rule.after is None or rule.min_interval is None:
        return
    interval = rule.min_interval
    late = rule.late_from_age
    if late is not None and birth is not None and previous_on >= late.apply(birth):
        interval = rule.late_min_interval or interval
    earliest = interval.apply(previous_on)
    if (earliest - on).days > grace_days:
        raise DoseRefused(
            "too_soon",
            item=item,
            previous=previous or rule.after,
            previous_date=previous_on.isoformat(),
            interval=interval,
            earliest=earliest.isoformat(),
        )


def validate(session: Session, person: Person, items: list[Given], today: date) -> None:
    """Raise `DoseRefused` for the first item `record` would refuse; records nothing. The
    person may be a new one not yet in the database (an import row checked before it is
    added)."""
    if person.status not in (None, "active"):
        raise DoseRefused("person_not_found", ref=str(person.id))
    batch = frozenset(g.item for g in items)
    for given in items:
        check(session, person, given, today, batch)
    # two doses of one series in one message: the second is checked against the first
    by_item = {g.item: g for g in items}
    rules = default_rules()
    for given in items:
        rule = rules.get(given.item)
        if (
            given.source not in PARENT_SOURCES
            and isinstance(rule, DoseRule)
            and rule.after in by_item
        ):
            grace = REGISTER_GRACE_DAYS if given.source == "import" else 0
            previous_on = by_item[rule.after].given_on
            _not_too_soon(rule, given.item, given.given_on, previous_on, person.birth_date, grace)


def record(
    session: Session,
    person: Person,
    items: list[Given],
    today: date,
    now: datetime,
    settings: dict[str, Any],
) -> list[DoseRecord]:
    """Check every item first (all or nothing), then record them, close their reminders and
    re-plan the person."""
    validate(session, person, items, today)
    added = []
    for given in items:
        occurrence = given.occurrence
        started = _pregnancy_start(person) if given.item in SCREENING_ITEMS else None
        if started is not None:  # one screening per pregnancy, keyed by its HPHT
            occurrence = started.isoformat()
        dose = DoseRecord(
            person_id=person.id,
            item=given.item,
            occurrence=occurrence,
            given_on=given.given_on,
            source=given.source,
            worker_id=given.worker_id,
            created_at=to_db(now),
        )
        session.add(dose)
        added.append(dose)
        for r in session.execute(
            select(Reminder).where(
                Reminder.person_id == person.id,
                Reminder.item == given.item,
                Reminder.status.in_(("pending", "sent")),
            )
        ).scalars():
            r.status, r.updated_at = "done", to_db(now)
    session.flush()
    replan(session, person, now, settings)
    return added


def replan(session: Session, person: Person, now: datetime, settings: dict[str, Any]) -> None:
    """Re-plan one person's reminders now (the next dose's interval starts from this one)."""
    contact = session.get(Contact, person.contact_id)
    if contact is None:
        return
    given = session.execute(select(DoseRecord).where(DoseRecord.person_id == person.id)).scalars()
    plan_person(
        session, person, contact, list(given), now, settings, Zones(session, settings["timezone"])
    )
