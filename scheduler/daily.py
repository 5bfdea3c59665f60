"""Daily messages: the day-before reminder of a booked visit, and each kader's morning digest."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.areas import AreaTree, resident_area_id, worker_scope
from bot.catalog import load_catalog
from bot.clock import from_db, to_db
from bot.models import Alert, Contact, DoseRecord, Person, Visit, Worker
from flows.booking import anc_in_order
from scheduler.planner import Given, plan
from scheduler.reminders import Zones, book_checks, facts, places
from scheduler.rules import DOSE_ITEMS
from scheduler.sendtime import allowed

# Overdue doses a kader follows up: the infant/baduta doses. School doses (BIAS) are given at
# school and rarely recorded here, so an "overdue" one mostly means "not recorded": listing
# them would push overdue babies out of the top N.
IMMUNIZATION = frozenset(DOSE_ITEMS)


def _hour_reached(local: datetime, hhmm: str) -> bool:
    h, m = (int(x) for x in hhmm.split(":"))
    return (local.hour, local.minute) >= (h, m)


def visit_reminders(session: Session, now: datetime, settings: dict[str, Any]) -> list[int]:
    """Booked visits tomorrow (local): one reminder each, sent from the reminder hour on."""
    t = load_catalog("id").t
    zones = Zones(session, settings["timezone"])
    ids = []
    soon = to_db(now + timedelta(days=2))
    visits = session.execute(
        select(Visit).where(
            Visit.status.in_(("booked", "requested")),
            Visit.scheduled_at.is_not(None),
            Visit.scheduled_at > to_db(now),
            Visit.scheduled_at <= soon,
        )
    ).scalars()
    for visit in visits:
        contact = session.get(Contact, visit.contact_id)
        if contact is None or contact.opted_out:
            continue
        tz = ZoneInfo(zones.tz(contact.area_id))
        local_now = now.astimezone(tz)
        when = from_db(visit.scheduled_at).astimezone(tz)
        if when.date() != local_now.date() + timedelta(days=1):
            continue
        if not (
            _hour_reached(local_now, settings["reminders"]["hour"])
            and allowed(local_now, settings["quiet_hours"])
        ):
            continue
        body = t(
            "daily.visit_tomorrow",
            time=f"{when:%H.%M}",
            place=_place(settings, visit),
            ref=visit.ref,
        )
        msg = outbox.queue(
            session,
            key=f"visit-reminder:{visit.ref}:{when.date().isoformat()}",
            to_phone=contact.phone,
            channel=contact.channel,
            body=body,
            now=now,
            kind="reminder",
            contact_id=contact.id,
        )
        if msg.attempts == 0 and msg.status == "queued":
            ids.append(msg.id)
    return ids


def _place(settings: dict[str, Any], visit: Visit) -> str:
    names = {p["code"]: p["name"] for p in places(settings)}
    return names.get(visit.place, visit.place)


def kader_digests(session: Session, now: datetime, settings: dict[str, Any]) -> list[int]:
    """Each kader's morning digest: today's visits, open reports, overdue children, pregnant
    women due for a check (top N), once a day from `digest.hour` local time."""
    t = load_catalog("id").t
    zones = Zones(session, settings["timezone"], places(settings))
    top = settings["digest"]["top"]
    ids = []
    tree = AreaTree(session)
    for worker in session.execute(
        select(Worker).where(Worker.role == "kader", Worker.active.is_(True))
    ).scalars():
        area_ids = worker_scope(tree, worker)
        first_area = worker.areas[0].id if worker.areas else None
        tz = ZoneInfo(zones.tz(first_area))
        local_now = now.astimezone(tz)
        if not _hour_reached(local_now, settings["digest"]["hour"]):
            continue
        today = local_now.date()
        key = f"digest:{worker.id}:{today.isoformat()}"
        lines = _digest_lines(session, area_ids, today, tz, zones, top, t)
        if not lines:
            continue
        msg = outbox.queue(
            session,
            key=key,
            to_phone=worker.phone,
            channel="whatsapp",
            body=t("daily.digest", date=today.strftime("%d-%m-%Y"), lines="\n".join(lines)),
            now=now,
            kind="alert",
        )
        if msg.attempts == 0 and msg.status == "queued":
            ids.append(msg.id)
    return ids


def _digest_lines(session, area_ids, today, tz, zones, top, t) -> list[str]:
    lines = []
    for visit in session.execute(
        select(Visit).where(Visit.status.in_(("booked", "requested"))).order_by(Visit.scheduled_at)
    ).scalars():
        when = from_db(visit.scheduled_at)
        contact = session.get(Contact, visit.contact_id)
        person = session.get(Person, visit.person_id) if visit.person_id else None
        if when is None or contact is None or resident_area_id(person, contact) not in area_ids:
            continue
        if when.astimezone(tz).date() == today:
            lines.append(t("daily.line_visit", time=f"{when.astimezone(tz):%H.%M}", ref=visit.ref))
    for alert in session.execute(
        select(Alert).where(Alert.status.in_(("open", "accepted", "escalated"))).order_by(Alert.id)
    ).scalars():
        if alert.area_id in area_ids:
            lines.append(t("daily.line_report", ref=alert.ref, what=alert.summary[:40]))
    return lines + care_due_lines(session, area_ids, today, zones, t, top)


def care_due_lines(
    session: Session,
    area_ids: frozenset[int] | None,
    today: date,
    zones: Zones,
    t: Any,
    top: int | None = None,
) -> list[str]:
    """The residents of these areas (None: every area) with an overdue immunization (one line
    each, every item named), then the pregnant women due for a check; `top` lines of each at
    most. The kader's digest and her JADWAL."""
    overdue, anc = [], []
    query = (
        select(Person)
        .join(Contact, Person.contact_id == Contact.id)
        .where(Person.status == "active")
        .order_by(Person.id)
    )
    if area_ids is not None:  # her areas in the query, not every resident in Python
        ids = sorted(area_ids)
        query = query.where(
            or_(
                Person.area_id.in_(ids),
                and_(Person.area_id.is_(None), Contact.area_id.in_(ids)),
            )
        )
    persons = list(session.execute(query).scalars())
    checks = book_checks(session, [p.id for p in persons])
    records: dict[int, list[Given]] = {}
    for start in range(0, len(persons), 500):  # the doses in a few queries, not one each
        chunk = [p.id for p in persons[start : start + 500]]
        for d in session.execute(
            select(DoseRecord).where(DoseRecord.person_id.in_(chunk))
        ).scalars():
            records.setdefault(d.person_id, []).append(Given(d.item, d.given_on, d.source))
    for person in persons:
        given = records.get(person.id, [])
        person_facts = facts(person, zones, today, check_asked=checks.get(person.id))
        late: list[str] = []
        for item in plan(person_facts, given, today):
            if item.awaits_check:
                continue  # the open Buku KIA check is listed with the reports
            if item.status == "overdue" and item.item in IMMUNIZATION:
                late.append(item.item)
            elif item.item.startswith("ANC") and item.status in ("due", "overdue"):
                code = anc_in_order(item.item, [g.item for g in given])
                anc.append(t("daily.line_anc", name=person.name, item=t(f"items.{code}")))
        if late:
            overdue.append(
                t("daily.line_overdue", name=person.name, id=person.id, item=", ".join(late))
            )
    return overdue[:top] + anc[:top]
