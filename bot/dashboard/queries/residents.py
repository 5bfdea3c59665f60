"""Queries of the resident pages: search by name or phone, one resident in scope, and the
profile's parts (household, mother, dose records and the planner's schedule, reports,
visits, alerts and message history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.areas import resident_area_id
from bot.dashboard import core
from bot.dashboard.queries.shared import (
    age_text,
    alert_row,
    alerts_query,
    persons_query,
    report_row,
    reports_query,
    stage_of,
    visit_row,
    visits_query,
)
from bot.models import (
    Alert,
    Contact,
    DoseRecord,
    InboundMessage,
    OutboundMessage,
    Person,
    Report,
    Visit,
)
from flows.booking import anc_in_order
from scheduler.planner import DONE, DUE, OVERDUE, UPCOMING, Given, plan
from scheduler.reminders import Zones, book_checks, facts

PROFILE_LIMIT = 50  # reports, visits, alerts on a profile
MESSAGE_LIMIT = 40  # messages each way on a profile


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def resident_row(p: Person, c: Contact, areas: core.AreaTree) -> dict[str, Any]:
    stage = stage_of(p)
    return {
        "id": p.id,
        "nama": p.name,
        "jk": p.sex or "",
        "tgl_lahir": p.birth_date.isoformat() if p.birth_date else "",
        "umur": age_text(p),
        "tahap": core.label("stage", stage) if stage else "-",
        "telepon": c.phone,
        "wilayah": areas.name(p.area_id or c.area_id),
        "status": p.status,
    }


def resident_search_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, text: str, limit: int
) -> list[dict[str, Any]]:
    """Active residents in scope whose name contains `text`, or whose phone number contains
    its digits (4 or more; a leading 0 read as 62), by name."""
    digits = "".join(ch for ch in text if ch.isdigit())
    cond = Person.name.ilike(_like(text), escape="\\")
    if len(digits) >= 4:
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        cond = or_(cond, Contact.phone.like(_like(digits), escape="\\"))
    rows = session.execute(
        persons_query(scope)
        .where(cond, Person.status == "active")
        .order_by(Person.name)
        .limit(limit)
    ).all()
    return [resident_row(p, c, areas) for p, c in rows]


def scoped_person(
    session: Session, scope: core.Scope, person_id: int
) -> tuple[Person, Contact] | None:
    """The resident with their contact, or None when they are not in scope."""
    return session.execute(persons_query(scope).where(Person.id == person_id)).one_or_none()


def dose_records(session: Session, person_id: int) -> list[DoseRecord]:
    """The person's recorded doses and visits, by date given."""
    return list(
        session.execute(
            select(DoseRecord)
            .where(DoseRecord.person_id == person_id)
            .order_by(DoseRecord.given_on)
        ).scalars()
    )


def record_names(records: list[DoseRecord]) -> dict[int, str]:
    """Record id -> its name; antenatal checks by their place among hers in date order
    ("Periksa hamil ke-3" for her third check, whatever window it was recorded in)."""
    names, anc = {}, 0
    for d in sorted(records, key=lambda d: (d.given_on, d.id)):
        if d.item.startswith("ANC") and d.item[3:].isdigit():
            anc += 1
            names[d.id] = core.item_label(f"ANC{min(anc, 6)}")
        else:
            names[d.id] = core.item_label(d.item)
    return names


def dose_schedule(
    session: Session,
    person: Person,
    contact: Contact,
    now: datetime,
    settings: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[DoseRecord]]:
    """The planner's items for the person today (local to their area) and their records."""
    zones = Zones(session, settings["timezone"])
    day = now.astimezone(ZoneInfo(zones.tz(person.area_id or contact.area_id))).date()
    records = dose_records(session, person.id)
    given = [Given(d.item, d.given_on, d.source) for d in records]
    by_item = {(d.item, d.occurrence): d for d in records}
    horizon = settings["reminders"]["horizon_days"]
    items = []
    asked = book_checks(session, [person.id]).get(person.id)
    person_facts = facts(person, zones, check_asked=asked)
    names = record_names(records)
    listed = [d.item for d in records]  # and the planned items listed so far (ANC ke-n)
    for it in plan(person_facts, given, day, horizon_days=horizon):
        status = "awaits_check" if it.awaits_check else "gap" if it.gap_after else it.status
        rec = by_item.get((it.item, it.occurrence)) or (
            by_item.get((it.item, "1")) if it.status == DONE else None
        )
        name = names.get(rec.id) if rec is not None else None
        items.append(
            {
                "item": it.item,
                "nama": name or core.item_label(anc_in_order(it.item, listed)),
                "kesempatan": it.occurrence,
                "status": core.label("plan_status", status),
                "status_kode": status,
                "mulai": it.due_from,
                "terlambat_sejak": it.overdue_from,
                "batas": it.expires_on,
                "diberi": rec.given_on if rec else None,
                "sumber": core.label("source", rec.source) if rec else "",
            }
        )
        if rec is None and it.status in (UPCOMING, DUE, OVERDUE):
            listed.append(it.item)
    return items, records


def household_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, person: Person, contact: Contact
) -> list[dict[str, Any]]:
    """The other active residents on the person's contact and the person's children, by
    birth date, each shown with the person's contact: only those in the staff member's scope
    (a child registered on another phone in another village is not named to this kader)."""
    rows = session.execute(
        select(Person)
        .where(
            or_(Person.contact_id == contact.id, Person.mother_id == person.id),
            Person.id != person.id,
            Person.status == "active",
        )
        .order_by(Person.birth_date)
    ).scalars()
    return [
        resident_row(p, contact, areas)
        for p in rows
        if scope.allows(resident_area_id(p, p.contact))
    ]


def mother_of(session: Session, scope: core.Scope, person: Person) -> Person | None:
    """The person's mother on record, when she is in the staff member's scope."""
    mother = session.get(Person, person.mother_id) if person.mother_id else None
    if mother is None or not scope.allows(resident_area_id(mother, mother.contact)):
        return None
    return mother


def person_report_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, person: Person, contact: Contact
) -> list[dict[str, Any]]:
    """Reports in scope about the person or from their contact, newest first."""
    rows = session.execute(
        reports_query(scope)
        .where(or_(Report.person_id == person.id, Report.contact_id == contact.id))
        .order_by(Report.created_at.desc())
        .limit(PROFILE_LIMIT)
    ).all()
    return [report_row(r, c, p, areas) for r, c, p in rows]


def person_visit_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, person: Person, contact: Contact
) -> list[dict[str, Any]]:
    """Visits in scope for the person or their contact, newest first."""
    rows = session.execute(
        visits_query(scope)
        .where(or_(Visit.person_id == person.id, Visit.contact_id == contact.id))
        .order_by(Visit.created_at.desc())
        .limit(PROFILE_LIMIT)
    ).all()
    return [visit_row(v, c, p, areas) for v, c, p in rows]


def person_alert_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, person: Person, contact: Contact
) -> list[dict[str, Any]]:
    """Alerts in the alert scope about the person or their contact, newest first."""
    rows = session.execute(
        alerts_query(scope)
        .where(or_(Alert.person_id == person.id, Alert.contact_id == contact.id))
        .order_by(Alert.created_at.desc())
        .limit(PROFILE_LIMIT)
    ).all()
    return [alert_row(session, a, c, p, areas) for a, c, p in rows]


def message_history(
    session: Session, contact_id: int, limit: int = MESSAGE_LIMIT
) -> list[dict[str, Any]]:
    """The contact's messages both ways, newest first (the `limit` newest)."""
    inbound = session.execute(
        select(InboundMessage)
        .where(InboundMessage.contact_id == contact_id)
        .order_by(InboundMessage.received_at.desc())
        .limit(limit)
    ).scalars()
    outbound = session.execute(
        select(OutboundMessage)
        .where(OutboundMessage.contact_id == contact_id)
        .order_by(OutboundMessage.created_at.desc())
        .limit(limit)
    ).scalars()
    rows = [
        {"waktu": core.local(m.received_at), "arah": "masuk", "isi": m.body, "status": ""}
        for m in inbound
    ] + [
        {
            "waktu": core.local(m.created_at),
            "arah": "keluar",
            "isi": m.body,
            "status": core.label("outbound_status", m.status),
            "kode": m.error_code,
            "penjelasan": core.twilio_error(m.error_code)
            if m.status in ("failed", "undelivered")
            else "",
        }
        for m in outbound
    ]
    rows.sort(key=lambda r: r["waktu"], reverse=True)
    return rows[:limit]
