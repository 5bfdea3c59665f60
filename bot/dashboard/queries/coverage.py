"""Queries of the PWS pages: the residents in scope that immunization and ANC coverage are
counted over (with their dose records), and the overdue list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dashboard import core
from bot.dashboard.coverage import ANC_ITEMS, Subject
from bot.dashboard.queries.shared import age_text, persons_query, stage_of
from bot.models import DoseRecord, Person
from scheduler.planner import OVERDUE, Given, plan
from scheduler.reminders import Zones, book_checks, facts
from scheduler.rules import DOSE_ITEMS

CHUNK = 500
GROUPS = {
    "imunisasi": set(DOSE_ITEMS),
    "anc": set(ANC_ITEMS),
    "nifas": {"KN1", "KN2", "KN3", "KF1", "KF2", "KF3", "KF4"},
}


def _subjects(session: Session, query) -> list[Subject]:
    """Persons of a query with their area and dose records (loaded in chunks)."""
    pairs = session.execute(query).all()
    records: dict[int, list[DoseRecord]] = {}
    ids = [p.id for p, _c in pairs]
    for i in range(0, len(ids), CHUNK):
        for d in session.execute(
            select(DoseRecord).where(DoseRecord.person_id.in_(ids[i : i + CHUNK]))
        ).scalars():
            records.setdefault(d.person_id, []).append(d)
    return [Subject(p, p.area_id or c.area_id, tuple(records.get(p.id, ()))) for p, c in pairs]


def birth_cohort_subjects(session: Session, scope: core.Scope, year: int) -> list[Subject]:
    """Active residents in scope born in `year`."""
    return _subjects(
        session,
        persons_query(scope).where(
            Person.status == "active",
            Person.birth_date >= date(year, 1, 1),
            Person.birth_date <= date(year, 12, 31),
        ),
    )


def pregnancy_subjects(session: Session, scope: core.Scope) -> list[Subject]:
    """Active residents in scope with a pregnancy on record (HPHT or due date)."""
    return _subjects(
        session,
        persons_query(scope).where(
            Person.status == "active", (Person.hpht.isnot(None)) | (Person.edd.isnot(None))
        ),
    )


def overdue_rows(
    session: Session,
    scope: core.Scope,
    areas: core.AreaTree,
    now: datetime,
    timezone: str,
    group: str,
) -> list[dict[str, Any]]:
    """Every active resident in scope with an overdue dose or visit (planner status
    "overdue", on each one's local day), of one of GROUPS (all when `group` is ""), oldest
    first."""
    zones = Zones(session, timezone)
    subjects = _subjects(
        session, persons_query(scope).where(Person.status == "active").order_by(Person.name)
    )
    rows = []
    checks = book_checks(session, [sub.person.id for sub in subjects])
    for sub in subjects:
        p = sub.person
        day = now.astimezone(ZoneInfo(zones.tz(sub.area_id))).date()
        given = [Given(d.item, d.given_on, d.source) for d in sub.records]
        for it in plan(facts(p, zones, check_asked=checks.get(p.id)), given, day):
            if it.status != OVERDUE or it.awaits_check:
                continue  # a dose waiting for the kader's check of the Buku KIA is not known late
            kind = next((k for k, codes in GROUPS.items() if it.item in codes), "lainnya")
            if group and kind != group:
                continue
            stage = stage_of(p)
            rows.append(
                {
                    "warga_id": p.id,
                    "nama": p.name,
                    "umur": age_text(p),
                    "tahap": core.label("stage", stage) if stage else "-",
                    "telepon": p.contact.phone if p.contact else "-",
                    "wilayah": areas.name(sub.area_id),
                    "item": it.item,
                    "nama_item": core.item_label(it.item),
                    "terlambat_sejak": it.overdue_from,
                    "batas": it.expires_on,
                }
            )
    rows.sort(key=lambda r: (r["terlambat_sejak"] or date.min, r["nama"]))
    return rows
