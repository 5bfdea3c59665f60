"""Kader commands as a service: the parser (flows/kader_commands.py) builds the command, this
applies it in the pipeline's transaction and returns the replies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import alerts, outbox
from bot.catalog import load_catalog
from bot.clock import from_db, to_db
from bot.models import Alert, Contact, DoseRecord, Person, Reminder, Report, Visit, Worker
from flows.kader_commands import USAGE, Command, outcome_of
from scheduler.rules import DOSE_ITEMS

CLOSED = ("done", "referred", "closed")
OUTCOME_WORDS = {"visited": "dikunjungi", "referred": "dirujuk", "no_one_home": "tidak ada orang"}


def find_worker(session: Session, phone: str) -> Worker | None:
    return session.execute(
        select(Worker).where(Worker.phone == phone, Worker.active.is_(True))
    ).scalar_one_or_none()


def handle(
    session: Session, worker: Worker, cmd: Command, now: datetime, settings: dict[str, Any]
) -> tuple[list[str], list[int]]:
    """Apply a command; returns (replies to the worker, other outbound ids to send)."""
    t = load_catalog("id").t
    if cmd.name == "BANTUAN":
        return [t("kader.help")], []
    if cmd.error == "usage":
        return [t("kader.usage", usage=USAGE.get(cmd.name, cmd.name))], []
    if cmd.name == "JADWAL":
        return [_schedule(session, worker, now, settings, t)], []
    if cmd.name == "IMUN":
        return [_imun(session, worker, cmd, now, settings, t)], []
    alert = session.execute(select(Alert).where(Alert.ref == cmd.ref)).scalar_one_or_none()
    if alert is None:
        return [t("kader.not_found", ref=cmd.ref)], []
    if alert.status in CLOSED:
        return [t("kader.already_closed", ref=alert.ref, status=alert.status)], []
    contact = session.get(Contact, alert.contact_id)
    if cmd.name == "TERIMA":
        if alert.accepted_by and alert.accepted_by != worker.id:
            other = session.get(Worker, alert.accepted_by)
            return [t("kader.already_taken", ref=alert.ref, worker=other.name)], []
        alert.status, alert.accepted_by, alert.escalate_at = "accepted", worker.id, None
        alert.updated_at = to_db(now)
        ids = []
        if contact is not None and not contact.opted_out:
            body = t("alert.resident_accepted", worker=worker.name, role=worker.role, ref=alert.ref)
            ids.append(
                outbox.queue(
                    session,
                    key=f"alert:{alert.ref}:accepted:{worker.id}",
                    to_phone=contact.phone,
                    channel=contact.channel,
                    body=body,
                    now=now,
                    contact_id=contact.id,
                    kind="alert",
                ).id
            )
        return [t("kader.accepted", ref=alert.ref, phone=contact.phone if contact else "-")], ids
    if cmd.name == "TOLAK":
        if not cmd.rest.strip():
            return [t("kader.need_reason", ref=alert.ref)], []
        declined = set(alert.declined_by or []) | {worker.id}
        alert.declined_by = sorted(declined)
        alert.note = f"ditolak oleh {worker.name}: {cmd.rest[:200]}"
        if alert.accepted_by == worker.id:
            alert.accepted_by, alert.status = None, "open"
        alert.updated_at = to_db(now)
        others = alerts.responsible(session, alert.area_id, ("kader",), exclude=declined)
        if others:
            key = "alert.emergency" if alert.urgency == "emergency" else "alert.routine"
            ids = alerts.notify(session, alert, others[:1], key, now, f"next{len(declined)}")
        else:
            alert.escalate_at = to_db(now)  # nobody left: the next escalation run takes it
            ids = alerts.escalate_due(session, now, settings)
        return [t("kader.declined", ref=alert.ref)], ids
    if cmd.name == "SELESAI":
        outcome = outcome_of(cmd.rest)
        alert.status = "referred" if outcome == "referred" else "done"
        alert.outcome, alert.note = outcome, cmd.rest[:500] or None
        alert.accepted_by = alert.accepted_by or worker.id
        alert.escalate_at = None
        alert.updated_at = to_db(now)
        _close_linked(session, alert, now)
        return [t("kader.done", ref=alert.ref, outcome=OUTCOME_WORDS[outcome])], []
    if cmd.name == "RUJUK":
        alert.status, alert.outcome, alert.escalate_at = "referred", "referred", None
        alert.accepted_by = alert.accepted_by or worker.id
        alert.updated_at = to_db(now)
        _close_linked(session, alert, now)
        return [t("kader.referred", ref=alert.ref)], []
    return [t("kader.help")], []


def _close_linked(session: Session, alert: Alert, now: datetime) -> None:
    if alert.report_id:
        report = session.get(Report, alert.report_id)
        report.status, report.updated_at = alert.status, to_db(now)
    if alert.visit_id:
        visit = session.get(Visit, alert.visit_id)
        visit.status, visit.updated_at = "done", to_db(now)


def _imun(session, worker, cmd: Command, now, settings, t) -> str:
    person = session.get(Person, int(cmd.ref)) if cmd.ref.isdigit() else None
    if person is None or person.status != "active":
        return t("kader.imun_person_not_found", ref=cmd.ref)
    today = now.astimezone(ZoneInfo(settings["timezone"])).date()
    given_on = today
    if cmd.date:
        try:
            given_on = date.fromisoformat(cmd.date)
        except ValueError:
            return t("kader.imun_bad_date", date=cmd.date)
        if given_on > today or (person.birth_date and given_on < person.birth_date):
            return t("kader.imun_bad_date", date=cmd.date)
    for item in cmd.items:
        if item not in DOSE_ITEMS:
            return t("kader.imun_unknown_item", item=item)
        existing = session.execute(
            select(DoseRecord).where(
                DoseRecord.person_id == person.id,
                DoseRecord.item == item,
                DoseRecord.occurrence == "1",
            )
        ).scalar_one_or_none()
        if existing is not None:
            return t("kader.imun_exists", item=item, date=existing.given_on.isoformat())
    for item in cmd.items:
        session.add(
            DoseRecord(
                person_id=person.id,
                item=item,
                occurrence="1",
                given_on=given_on,
                source="kader",
                worker_id=worker.id,
                created_at=to_db(now),
            )
        )
        for r in session.execute(
            select(Reminder).where(
                Reminder.person_id == person.id,
                Reminder.item == item,
                Reminder.status == "pending",
            )
        ).scalars():
            r.status, r.updated_at = "done", to_db(now)
    return t("kader.imun_recorded", name=person.name, items=", ".join(cmd.items))


def _schedule(session, worker, now, settings, t) -> str:
    tz = ZoneInfo(settings["timezone"])
    today = now.astimezone(tz).date()
    area_ids = {a.id for a in worker.areas}
    for a in list(worker.areas):
        area_ids |= _descendants(session, a.id)
    lines = []
    for alert in session.execute(
        select(Alert).where(Alert.status.in_(("open", "accepted", "escalated"))).order_by(Alert.id)
    ).scalars():
        if alert.area_id in area_ids:
            lines.append(f"- ref {alert.ref} {alert.urgency}: {alert.summary[:40]}")
    for visit in session.execute(
        select(Visit).where(Visit.status.in_(("requested", "booked"))).order_by(Visit.scheduled_at)
    ).scalars():
        when = from_db(visit.scheduled_at)
        if when is not None and when.astimezone(tz).date() == today:
            lines.append(f"- {when.astimezone(tz):%H:%M} {visit.place} ref {visit.ref}")
    if not lines:
        return t("kader.schedule_empty")
    return t("kader.schedule", date=today.isoformat(), lines="\n" + "\n".join(lines[:15]))


def _descendants(session: Session, area_id: int) -> set[int]:
    from bot.models import Area

    out, frontier = set(), {area_id}
    while frontier:
        children = set(
            session.execute(select(Area.id).where(Area.parent_id.in_(frontier))).scalars()
        )
        frontier = children - out
        out |= children
    return out
