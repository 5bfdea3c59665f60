"""Visits: the `visits` lookup for the booking flow, and the visit events' handlers (Visit rows,
the home-visit request to the area's kader, and their notices when it moves or is cancelled)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import alert_lifecycle as lifecycle
from bot import alerts, outbox
from bot.clock import from_db, to_db
from bot.deps import HandlerDeps
from bot.models import Alert, Area, Contact, DoseRecord, EventLog, Person, Visit, Worker
from flows.booking import fmt_date, fmt_time, purpose_name
from flows.slots import HORIZON_DAYS, count_key
from scheduler.reminders import Zones, book_check_day, book_checks

ACTIVE = ("requested", "booked")
OPEN_ALERT = ("open", "accepted", "escalated")
BOOKING_EVENTS = ("visit_booked", "visit_requested")


def visits_lookup(deps: HandlerDeps, contact: Contact) -> dict[str, Any]:
    """The contact's upcoming visits, booked counts per (place, local date) for the next 60
    days, and per household member what the schedule planner needs (doses given...)."""
    session, now = deps.session, deps.now
    if contact.id is None:
        return {"upcoming": [], "booked": {}, "persons": {}}
    zones = Zones(session, deps.default_tz)
    zone = ZoneInfo(zones.tz(contact.area_id))
    today = now.astimezone(zone).date()
    day_start = datetime.combine(today, time(0), zone)
    until = day_start + timedelta(days=HORIZON_DAYS + 1)

    persons = list(
        session.execute(
            select(Person).where(Person.contact_id == contact.id, Person.status == "active")
        ).scalars()
    )
    names = {p.id: p.name for p in persons}
    rows = list(
        session.execute(
            select(Visit)
            .where(
                Visit.contact_id == contact.id,
                Visit.status.in_(ACTIVE),
                (Visit.scheduled_at.is_(None)) | (Visit.scheduled_at >= to_db(now)),
            )
            .order_by(Visit.scheduled_at, Visit.id)
        ).scalars()
    )
    unregistered = any(v.person_id is None for v in rows)
    names_by_ref = _booked_names(session, contact) if unregistered else {}
    upcoming = [
        {
            "ref": v.ref,
            "person_id": v.person_id,
            "person_name": names.get(v.person_id) or names_by_ref.get(v.ref),
            "purpose": v.purpose,
            "place": v.place,
            "scheduled_at": from_db(v.scheduled_at).isoformat() if v.scheduled_at else None,
            "status": v.status,
        }
        for v in rows
    ]

    booked: Counter[str] = Counter()
    for place, at in session.execute(
        select(Visit.place, Visit.scheduled_at).where(
            Visit.status.in_(ACTIVE),
            Visit.scheduled_at >= to_db(day_start),
            Visit.scheduled_at < to_db(until),
        )
    ):
        booked[count_key(place, from_db(at).astimezone(zone).date())] += 1

    given: dict[int, list[list[str]]] = {p.id: [] for p in persons}
    if persons:
        for d in session.execute(
            select(DoseRecord).where(DoseRecord.person_id.in_(list(given)))
        ).scalars():
            given[d.person_id].append([d.item, d.given_on.isoformat()])
    checks = book_checks(session, [p.id for p in persons])
    facts = {
        str(p.id): {
            "given": given[p.id],
            "book_check_from": (
                book_check_day(checks[p.id], zones.tz(p.area_id or contact.area_id)).isoformat()
                if p.id in checks
                else None
            ),
            "registered_on": p.created_at.date().isoformat() if p.created_at else None,
            "je_endemic": zones.je(p.area_id or contact.area_id),
        }
        for p in persons
    }
    return {"upcoming": upcoming, "booked": dict(booked), "persons": facts}


def _booked_names(session: Session, contact: Contact) -> dict[str, str]:
    """Names given for people not (yet) registered, from the booking events (ref -> name)."""
    out = {}
    for payload in session.execute(
        select(EventLog.payload).where(
            EventLog.contact_id == contact.id, EventLog.type.in_(BOOKING_EVENTS)
        )
    ).scalars():
        if payload and payload.get("ref") and payload.get("person_name"):
            out[str(payload["ref"])] = payload["person_name"]
    return out


def _scheduled(event: dict[str, Any]) -> datetime | None:
    """The event's UTC ISO `scheduled_at` as a naive UTC column value."""
    raw = event.get("scheduled_at")
    if not raw:
        return None
    at = datetime.fromisoformat(raw)
    return to_db(at if at.tzinfo else at.replace(tzinfo=timezone.utc))


def _own_person(session: Session, contact: Contact, person_id: Any) -> Person | None:
    """The person, only when they belong to this contact's household."""
    person = session.get(Person, person_id) if person_id else None
    return person if person is not None and person.contact_id == contact.id else None


def _new_visit(
    session: Session, contact: Contact, event: dict[str, Any], now: datetime, status: str
) -> Visit:
    """A Visit row from a visit_booked / visit_requested event."""
    person = _own_person(session, contact, event.get("person_id"))
    visit = Visit(
        ref=event["ref"],
        contact_id=contact.id,
        person_id=person.id if person else None,
        purpose=event["purpose"],
        place=event["place"],
        scheduled_at=_scheduled(event),
        status=status,
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(visit)
    session.flush()
    return visit


def _own_visit(session: Session, contact: Contact, ref: Any) -> Visit | None:
    """The visit with this reference, only when it is this contact's."""
    return session.execute(
        select(Visit).where(Visit.ref == str(ref), Visit.contact_id == contact.id)
    ).scalar_one_or_none()


def _area_id(session: Session, contact: Contact, person: Person | None, code: str | None):
    """The area a home visit is for: the person's, the contact's, else the one given."""
    if person is not None and person.area_id:
        return person.area_id
    if contact.area_id:
        return contact.area_id
    if code:
        return session.execute(select(Area.id).where(Area.code == code)).scalar()
    return None


def kaders_for(session: Session, area_id: int | None) -> list[Worker]:
    """Kader of the area (or an ancestor); else its bidan; else the puskesmas on duty."""
    if area_id is not None:
        for role in ("kader", "bidan"):
            found = alerts.responsible(session, area_id, (role,))
            if found:
                return found
    return alerts.responsible(session, area_id, ("admin",)) or alerts.responsible(
        session, None, ("admin",)
    )


def _local_when(event: dict[str, Any], now: datetime, t) -> str:
    """'Senin 23 Nov 09.00' from the event's local date and time."""
    day = date.fromisoformat(event["local_date"])
    clock = time.fromisoformat(event["local_time"])
    return t("booking.slot", date=fmt_date(day, t, now.date()), time=fmt_time(clock))


def _who(session: Session, contact: Contact, visit: Visit, name: str | None, t) -> str:
    """The visited person's name (as given when booking if not registered), else the contact's."""
    person = session.get(Person, visit.person_id) if visit.person_id else None
    if person is None and name is None:
        name = _booked_names(session, contact).get(visit.ref)
    return (person.name if person else name) or contact.name or t("alert.unknown_person")


def visit_who(session: Session, contact: Contact, visit: Visit, t) -> str:
    """Who a visit is for, as workers read it (JADWAL, the kader's visit messages)."""
    return _who(session, contact, visit, None, t)


def visit_booked(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """An appointment at a pustu, posyandu or puskesmas."""
    session, now = deps.session, deps.now
    _new_visit(session, contact, event, now, "booked")


def visit_requested(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int]:
    """A home visit: a Visit row, an alert the kader can TERIMA, and a message to the kader."""
    session, now, t = deps.session, deps.now, deps.catalog.t
    visit = _new_visit(session, contact, event, now, "requested")
    person = _own_person(session, contact, visit.person_id)
    area_id = _area_id(session, contact, person, event.get("area_code"))
    if contact.area_id is None and area_id is not None:
        contact.area_id = area_id  # asked in the flow: remember it, as after an emergency
    who = _who(session, contact, visit, event.get("person_name"), t)
    purpose = purpose_name(visit.purpose, t)
    session.add(
        Alert(
            ref=visit.ref,
            kind="visit",
            urgency="routine",
            visit_id=visit.id,
            contact_id=contact.id,
            person_id=visit.person_id,
            area_id=area_id,
            status="open",
            level=1,
            summary=t("alert.visit_summary", purpose=purpose),
            declined_by=[],
            created_at=to_db(now),
            updated_at=to_db(now),
        )
    )
    session.flush()
    area = session.get(Area, area_id) if area_id else None
    body = t(
        "booking.kader.requested",
        ref=visit.ref,
        who=who,
        purpose=purpose,
        area=area.name if area else t("alert.unknown_area"),
        when=_local_when(event, now, t),
        phone=contact.phone,
    )
    workers = kaders_for(session, area_id)
    return outbox.to_workers(session, workers, body, now, f"visit:{visit.ref}:{{worker}}")


def _home_alert(session: Session, visit: Visit) -> Alert | None:
    """The open alert of a home-visit request, if any."""
    return session.execute(
        select(Alert).where(
            Alert.visit_id == visit.id, Alert.kind == "visit", Alert.status.in_(OPEN_ALERT)
        )
    ).scalar_one_or_none()


def _told(session: Session, alert: Alert) -> list[Worker]:
    """Who hears about changes: the worker who accepted, else the area's kader."""
    if alert.accepted_by:
        worker = session.get(Worker, alert.accepted_by)
        return [worker] if worker is not None and worker.active else []
    return kaders_for(session, alert.area_id)


def visit_cancelled(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int] | None:
    """The resident cancels; a home visit's alert closes and its kader is told."""
    session, now = deps.session, deps.now
    visit = _own_visit(session, contact, event["ref"])
    if visit is None or visit.status not in ACTIVE:
        return None
    visit.status, visit.updated_at = "cancelled", to_db(now)
    alert = _home_alert(session, visit)
    if alert is None:
        return None
    lifecycle.finish(session, alert, "cancelled", None, now)
    t = deps.catalog.t
    body = t("booking.kader.cancelled", ref=visit.ref, who=_who(session, contact, visit, None, t))
    key = f"visit:{visit.ref}:{{worker}}:cancelled"
    return outbox.to_workers(session, _told(session, alert), body, now, key)


def visit_rescheduled(
    deps: HandlerDeps, contact: Contact, event: dict[str, Any]
) -> list[int] | None:
    """The resident moves a visit; a home visit's kader is told the new time."""
    session, now = deps.session, deps.now
    visit = _own_visit(session, contact, event["ref"])
    if visit is None or visit.status not in ACTIVE:
        return None
    visit.scheduled_at = _scheduled(event)
    visit.place = event.get("place") or visit.place
    visit.updated_at = to_db(now)
    alert = _home_alert(session, visit)
    if alert is None:
        return None
    t = deps.catalog.t
    when = _local_when(event, now, t)
    body = t(
        "booking.kader.rescheduled",
        ref=visit.ref,
        who=_who(session, contact, visit, None, t),
        when=when,
    )
    stamp = f"{event['local_date']}T{event['local_time']}"
    key = f"visit:{visit.ref}:{{worker}}:moved:{stamp}"
    return outbox.to_workers(session, _told(session, alert), body, now, key)


HANDLERS = {
    "visit_booked": visit_booked,
    "visit_requested": visit_requested,
    "visit_cancelled": visit_cancelled,
    "visit_rescheduled": visit_rescheduled,
}


PROVIDERS = {
    "visits": visits_lookup,
}
