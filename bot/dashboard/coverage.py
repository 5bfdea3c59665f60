"""PWS numbers: immunization coverage per birth cohort and ANC coverage (K1/K4/K6), per desa
and dusun, computed with the reminder planner so "complete for age" matches the reminders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from bot.areas import AreaTree
from bot.dashboard.core import Scope, person_info
from bot.doses import PARENT_SOURCES
from bot.models import DoseRecord, Person
from flows.lifestage import PREGNANCY_DAYS, weeks_pregnant
from scheduler.planner import EXPIRED, OVERDUE, Given, edd_from_hpht, plan
from scheduler.reminders import Zones, facts
from scheduler.rules import DOSE_ITEMS, default_rules

# Imunisasi Dasar Lengkap (IDL): the basic series every infant should have by 12 months.
IDL_ITEMS = ("HB0", "BCG", "OPV1", "OPV2", "OPV3", "OPV4", "DPT1", "DPT2", "DPT3", "IPV1", "MR1")
ANC_ITEMS = ("ANC1", "ANC2", "ANC3", "ANC4", "ANC5", "ANC6")
ANC_LEVELS = (("K1", 1), ("K4", 4), ("K6", 6))
NO_AREA = "Tanpa wilayah"


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Tally:
    """The numbers of one area row (a desa, a dusun, or the total)."""

    key: str
    name: str
    level: str  # desa | dusun | total
    desa_key: str = ""
    people: int = 0  # sasaran: children in the cohort / pregnant women
    complete_for_age: int = 0
    complete: int = 0
    eligible: Counter = field(default_factory=Counter)
    given: Counter = field(default_factory=Counter)
    # of `given`, doses known only from the family (SUDAH to a reminder, the Buku KIA read out
    # or "lengkap" at registration): counted, and shown apart until a worker checks them
    family: Counter = field(default_factory=Counter)

    def rate(self, item: str) -> float | None:
        return pct(self.given[item], self.eligible[item])


class Grouper:
    """Tallies per desa and dusun, created in display order, plus a total."""

    def __init__(self, areas: AreaTree, scope: Scope) -> None:
        self.areas = areas
        self.rows: dict[str, Tally] = {}
        for desa in areas.desa_list():
            dusuns = [d for d in areas.dusun_of(desa.id) if scope.allows(d.id)]
            if not scope.allows(desa.id) and not dusuns:
                continue
            self.rows[str(desa.id)] = Tally(str(desa.id), desa.name, "desa", str(desa.id))
            for dusun in dusuns:
                self.rows[str(dusun.id)] = Tally(str(dusun.id), dusun.name, "dusun", str(desa.id))
        self.total = Tally("total", "Total", "total")

    def tallies_for(self, area_id: int | None) -> list[Tally]:
        desa = self.areas.level(area_id, "desa")
        dusun = self.areas.level(area_id, "dusun")
        out = [self.total]
        if desa is None:
            out.append(self.rows.setdefault("none", Tally("none", NO_AREA, "desa", "none")))
            return out
        out.append(
            self.rows.setdefault(str(desa.id), Tally(str(desa.id), desa.name, "desa", str(desa.id)))
        )
        if dusun is not None:
            key = str(dusun.id)
            out.append(self.rows.setdefault(key, Tally(key, dusun.name, "dusun", str(desa.id))))
        return out

    def result(self) -> list[Tally]:
        return [*self.rows.values(), self.total]


@dataclass(frozen=True)
class Subject:
    """One person with the area their data belongs to and their recorded items."""

    person: Person
    area_id: int | None
    records: tuple[DoseRecord, ...]


FAMILY_SOURCES = PARENT_SOURCES  # bot.doses: self_report, kia_book, kia_estimate


def antigens(je_possible: bool) -> tuple[str, ...]:
    return tuple(i for i in DOSE_ITEMS if je_possible or i != "JE")


def immunization(
    subjects: Iterable[Subject], on: date, areas: AreaTree, zones: Zones, scope: Scope
) -> list[Tally]:
    """Per area: children in the cohort, complete for age (no basic dose overdue or missed),
    fully complete (all IDL doses), and each antigen given / children old enough for it."""
    rules = {r.item: r for r in default_rules().doses}
    grouper = Grouper(areas, scope)
    for sub in subjects:
        person = sub.person
        birth = person.birth_date
        if birth is None or birth > on:
            continue
        pf = facts(person, zones)
        given = [Given(d.item, d.given_on, d.source) for d in sub.records]
        done = {d.item for d in sub.records if d.given_on <= on}
        told = {d.item for d in sub.records if d.given_on <= on and d.source in FAMILY_SOURCES}
        listed = {i.item: i.status for i in plan(pf, given, on) if i.item in IDL_ITEMS}
        if listed:
            missing = any(listed.get(i) in (OVERDUE, EXPIRED) and i not in done for i in IDL_ITEMS)
        else:  # past the planner's tracking age: judged on the records alone
            missing = not set(IDL_ITEMS) <= done
        full = set(IDL_ITEMS) <= done
        for tally in grouper.tallies_for(sub.area_id):
            tally.people += 1
            tally.complete_for_age += 0 if missing else 1
            tally.complete += 1 if full else 0
            for item, rule in rules.items():
                if rule.only_if == "je_endemic" and not pf.je_endemic:
                    continue
                if rule.born_from is not None and birth < rule.born_from:
                    continue
                if item in done or rule.at.apply(birth) <= on:
                    tally.eligible[item] += 1
                    tally.given[item] += 1 if item in done else 0
                    tally.family[item] += 1 if item in told else 0
    return grouper.result()


def pregnancy_start(p: Person) -> date | None:
    """HPHT, else the due date (HPL) - 280 days."""
    if p.hpht is not None:
        return p.hpht
    return None if p.edd is None else date.fromordinal(p.edd.toordinal() - PREGNANCY_DAYS)


def lost_on(p: Person) -> date | None:
    """The day this pregnancy (the one of the HPHT/HPL on record) ended in a miscarriage."""
    start = pregnancy_start(p)
    ended = p.delivery_date
    if p.pregnancy_outcome != "loss" or ended is None or start is None or ended < start:
        return None
    return ended


def anc_window_end(start: date, need: int) -> date:
    """The last day of the window of the `need`-th antenatal visit (ANC<need>, active split
    of scheduler/rules/antenatal.yml) for a pregnancy starting on `start`."""
    return default_rules().get(f"ANC{need}").window[1].last_day(start)


def anc(
    subjects: Iterable[Subject], on: date, areas: AreaTree, scope: Scope, year: int | None
) -> list[Tally]:
    """Per area: pregnant women (now, or with the due date in `year`) and how many had at
    least 1, 4 and 6 antenatal visits recorded (K1, K4, K6).

    A pregnancy that ended in a miscarriage is in the sasaran of K<n> only when it lasted
    past the window of the n-th visit (ANC<n>), or when K<n> was reached anyway: a loss at
    9 weeks counts for K1 if ANC1 was recorded, never for K4/K6 (their windows start at 25
    and 35 weeks). Women pregnant today have no loss (the pregnancy is ongoing)."""
    grouper = Grouper(areas, scope)
    for sub in subjects:
        p = sub.person
        if p.sex == "L" or (p.hpht is None and p.edd is None):
            continue
        if year is None:
            if weeks_pregnant(person_info(p), on) is None:
                continue
        else:
            edd = p.edd or edd_from_hpht(p.hpht)
            if edd.year != year:
                continue
        visits = len({d.item for d in sub.records if d.item in ANC_ITEMS and d.given_on <= on})
        lost, start = lost_on(p), pregnancy_start(p)
        counted = [
            (name, need)
            for name, need in ANC_LEVELS
            if lost is None or visits >= need or lost > anc_window_end(start, need)
        ]
        for tally in grouper.tallies_for(sub.area_id):
            tally.people += 1
            for name, need in counted:
                tally.eligible[name] += 1
                tally.given[name] += 1 if visits >= need else 0
    return grouper.result()
