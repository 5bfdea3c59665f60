"""Kader commands as a service: the parser (flows/kader_commands.py) builds the command, this
applies it in the pipeline's transaction and returns the replies. What the alert commands do
is bot/alert_lifecycle.py, the same as the dashboard's buttons; a worker acts only on her own
areas (bot/areas.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import alert_lifecycle as lifecycle
from bot import doses, labels
from bot.areas import AreaTree, resident_area_id
from bot.catalog import Catalog
from bot.clock import from_db
from bot.handlers.visits import visit_who
from bot.models import Alert, Contact, Person, Visit, Worker
from flows.booking import pages, purpose_name
from flows.kader_commands import USAGE, Command, outcome_of
from scheduler.daily import care_due_lines
from scheduler.reminders import Zones, places

CLOSED = lifecycle.CLOSED
SCHEDULE_PAGE = 15  # JADWAL lines per message


def find_worker(session: Session, phone: str) -> Worker | None:
    return session.execute(
        select(Worker).where(Worker.phone == phone, Worker.active.is_(True))
    ).scalar_one_or_none()


def handle(
    session: Session,
    worker: Worker,
    cmd: Command,
    now: datetime,
    settings: dict[str, Any],
    cat: Catalog,
) -> tuple[list[str], list[int]]:
    """Apply a command with the runtime's `settings` and catalog; returns (replies to the
    worker, other outbound ids to send)."""
    t = cat.t
    if cmd.name == "BANTUAN":
        return [t("kader.help")], []
    if cmd.error == "usage":
        return [t("kader.usage", usage=USAGE.get(cmd.name, cmd.name))], []
    tree = AreaTree(session)
    actor = lifecycle.worker_actor(tree, worker)
    if cmd.name == "JADWAL":
        page = int(cmd.ref) if cmd.ref else 1
        return _schedule(session, actor, now, settings, cat, page), []
    if cmd.name == "CARI":
        return [_find(session, actor, cmd.who or "", now, settings, t)], []
    if cmd.name == "IMUN":
        return [_imun(session, worker, actor, cmd, now, settings, cat)], []
    alert = session.execute(select(Alert).where(Alert.ref == cmd.ref)).scalar_one_or_none()
    if alert is None:
        return [t("kader.not_found", ref=cmd.ref)], []
    try:
        return _alert_command(session, alert, actor, cmd, now, settings, cat)
    except lifecycle.Refused as refused:
        return [refused.text(cat, "kader")], []


def _alert_command(session, alert, actor, cmd: Command, now, settings, cat: Catalog):
    t = cat.t
    if cmd.name == "TERIMA":
        ids = lifecycle.accept(session, alert, actor, now, cat)
        contact = session.get(Contact, alert.contact_id)
        return [t("kader.accepted", ref=alert.ref, phone=contact.phone if contact else "-")], ids
    if cmd.name == "TOLAK":
        ids, escalated = lifecycle.decline(session, alert, actor, cmd.rest, now, settings, cat)
        return [
            t("kader.declined_escalated" if escalated else "kader.declined", ref=alert.ref)
        ], ids
    if cmd.name == "SELESAI":
        outcome = outcome_of(cmd.rest)
        lifecycle.close(session, alert, actor, outcome, cmd.rest, now, cat, settings)
        return [t("kader.done", ref=alert.ref, outcome=labels.word(cat, "outcome", outcome))], []
    if cmd.name == "RUJUK":
        lifecycle.refer(session, alert, actor, cmd.rest, now, cat, settings)
        return [t("kader.referred", ref=alert.ref)], []
    return [t("kader.help")], []


FIND_LIMIT = 8  # CARI lists at most this many residents


def _named(session, actor, who: str) -> list[Person]:
    """Active residents of the worker's areas whose name holds every word of `who`."""
    words = [w for w in who.lower().split() if w]
    if not words:
        return []
    query = select(Person).where(Person.status == "active").order_by(Person.name, Person.id)
    for w in words:
        query = query.where(func.lower(Person.name).like(f"%{w}%"))
    found = []
    for person in session.execute(query.limit(200)).scalars():
        if actor.may_act(resident_area_id(person, person.contact)):
            found.append(person)
    return found


def _age(person: Person, today: date) -> str:
    if person.birth_date is None:
        return "umur ?"
    days = (today - person.birth_date).days
    if days < 60:
        return f"{max(days, 0)} hari"
    if days < 730:
        return f"{days // 30} bulan"
    return f"{days // 365} tahun"


def _find(session, actor, who: str, now, settings, t) -> str:
    """CARI <nama>: the residents of her areas with that name and their numbers (for IMUN)."""
    today = now.astimezone(ZoneInfo(settings["timezone"])).date()
    found = _named(session, actor, who)
    if not found:
        return t("kader.find_none", who=who)
    lines = [
        t(
            "kader.find_line",
            id=p.id,
            name=p.name,
            age=_age(p, today),
            contact=p.contact.name or "-",
        )
        for p in found[:FIND_LIMIT]
    ]
    more = len(found) - FIND_LIMIT
    tail = [t("kader.find_more", n=more)] if more > 0 else []
    return t("kader.find", lines="\n".join(lines + tail))


def _imun(session, worker, actor, cmd: Command, now, settings, cat: Catalog) -> str:
    """IMUN <no|nama> <items...> [date]: through the one dose service (checks, re-plan)."""
    t = cat.t
    if cmd.who is not None:  # by name: one resident of her areas, else the choices
        found = _named(session, actor, cmd.who)
        if len(found) != 1:
            return _find(session, actor, cmd.who, now, settings, t)
        cmd = replace(cmd, ref=str(found[0].id))
    person = session.get(Person, int(cmd.ref)) if cmd.ref.isdigit() and len(cmd.ref) < 10 else None
    if person is None or person.status != "active":
        return t("kader.imun_person_not_found", ref=cmd.ref)
    if not actor.may_act(resident_area_id(person, person.contact)):
        return t("kader.imun_not_your_area", ref=cmd.ref)
    today = now.astimezone(ZoneInfo(settings["timezone"])).date()
    given_on = today
    if cmd.date:
        try:
            given_on = date.fromisoformat(cmd.date)
        except ValueError:
            return t("kader.imun_bad_date", date=cmd.date)
    codes = [doses.next_of_series(session, person, item, today) for item in cmd.items]
    items = [doses.Given(item, given_on, "kader", worker.id) for item in codes]
    try:
        doses.record(session, person, items, today, now, settings)
    except doses.DoseRefused as exc:
        return exc.text(cat)
    return t("kader.imun_recorded", name=person.name, items=", ".join(codes))


def _schedule(
    session, actor: lifecycle.Actor, now, settings, cat: Catalog, page: int = 1
) -> list[str]:
    """JADWAL: the active alerts she may act on (her areas', and for a kader those placed only
    at her desa), today's visits of her own areas, and who there is late for an immunization
    or due for an antenatal check (scheduler.daily.care_due_lines), in pages of SCHEDULE_PAGE
    lines (JADWAL 2 for the second), never cut."""
    t = cat.t
    tz = ZoneInfo(settings["timezone"])
    today = now.astimezone(tz).date()
    lines = []
    tree = AreaTree(session)
    active = session.execute(
        select(Alert).where(Alert.status.in_(lifecycle.ACTIVE)).order_by(Alert.id)
    ).scalars()
    # emergencies first (the oldest first among them), then the routine ones
    for alert in sorted(active, key=lambda a: (a.urgency != "emergency", a.id)):
        if actor.may_act_on_alert(tree, alert.area_id):  # the alerts she was sent
            lines.append(
                t(
                    "kader.schedule_alert",
                    ref=alert.ref,
                    urgency=labels.word(cat, "urgency", alert.urgency),
                    status=labels.word(cat, "alert_status", alert.status),
                    what=labels.clip(alert.summary, 60) or "-",
                )
            )
    district_places = places(settings)
    rows = session.execute(
        select(Visit, Contact, Person)
        .join(Contact, Visit.contact_id == Contact.id)
        .outerjoin(Person, Visit.person_id == Person.id)
        .where(Visit.status.in_(("requested", "booked")), Visit.scheduled_at.is_not(None))
        .order_by(Visit.scheduled_at)
    ).all()
    for visit, contact, person in rows:
        when = from_db(visit.scheduled_at).astimezone(tz)
        if when.date() != today or not actor.may_act(resident_area_id(person, contact)):
            continue
        lines.append(
            t(
                "kader.schedule_visit",
                time=f"{when:%H.%M}",
                place=labels.place(district_places, visit.place, cat),
                who=visit_who(session, contact, visit, t),
                purpose=purpose_name(visit.purpose, t),
                ref=visit.ref,
            )
        )
    care = (  # the puskesmas sees the whole district's list on the dashboard (Terlambat)
        []
        if actor.scope is None
        else care_due_lines(session, actor.scope, today, Zones(session, settings["timezone"]), t)
    )
    if care:  # the children with overdue immunizations and the women due for a check
        lines += [t("kader.schedule_care"), *care]
    if not lines:
        return [t("kader.schedule_empty")]
    chunks = pages(lines, SCHEDULE_PAGE)
    day = today.strftime("%d-%m-%Y")
    if len(chunks) == 1:
        return [t("kader.schedule", date=day, lines="\n".join(lines))]
    if not 1 <= page <= len(chunks):
        return [t("kader.schedule_no_page", page=page, pages=len(chunks))]
    header = t("kader.schedule_page", date=day, page=page, pages=len(chunks))
    replies = ["\n".join([header, *chunks[page - 1]])]
    if page < len(chunks):
        replies.append(t("kader.schedule_more", next=page + 1, pages=len(chunks)))
    return replies
