"""What the dashboard changes, done like the kader commands (bot/kader.py): the same model
updates, the same resident notice on acceptance, reminders stopped when a dose is recorded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.catalog import load_catalog
from bot.clock import to_db
from bot.kader import CLOSED, _close_linked
from bot.models import (
    Alert,
    Contact,
    DoseRecord,
    Person,
    Reminder,
    Report,
    StaffUser,
    Visit,
)
from scheduler.reminders import Zones, plan_person
from scheduler.rules import DOSE_ITEMS, VISIT_ITEMS

RECORDABLE = DOSE_ITEMS + VISIT_ITEMS
REPORT_STATUSES = ("open", "in_progress", "resolved")
VISIT_OUTCOMES = ("visited", "referred", "no_one_home", "cancelled")


class ChangeError(ValueError):
    """The change is not allowed; the message is Indonesian, for the page."""


def record_dose(
    session: Session,
    person: Person,
    item: str,
    given_on: date,
    staff: StaffUser,
    today: date,
    now: datetime,
    settings: dict[str, Any],
) -> DoseRecord:
    """Record a dose or ANC/KN/KF visit (source "dashboard"): its pending reminders are done
    and the person's reminders re-planned (e.g. the next dose's interval starts now)."""
    if item not in RECORDABLE:
        raise ChangeError(f"Jenis {item} tidak dikenal.")
    if given_on > today:
        raise ChangeError("Tanggal tidak boleh di masa depan.")
    if item in DOSE_ITEMS and person.birth_date and given_on < person.birth_date:
        raise ChangeError("Tanggal sebelum tanggal lahir.")
    existing = session.execute(
        select(DoseRecord).where(
            DoseRecord.person_id == person.id, DoseRecord.item == item, DoseRecord.occurrence == "1"
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise ChangeError(f"{item} sudah tercatat tanggal {existing.given_on.isoformat()}.")
    dose = DoseRecord(
        person_id=person.id,
        item=item,
        occurrence="1",
        given_on=given_on,
        source="dashboard",
        worker_id=staff.worker_id,
        created_at=to_db(now),
    )
    session.add(dose)
    for r in session.execute(
        select(Reminder).where(
            Reminder.person_id == person.id, Reminder.item == item, Reminder.status == "pending"
        )
    ).scalars():
        r.status, r.updated_at = "done", to_db(now)
    session.flush()
    contact = session.get(Contact, person.contact_id)
    given = session.execute(select(DoseRecord).where(DoseRecord.person_id == person.id)).scalars()
    plan_person(
        session, person, contact, list(given), now, settings, Zones(session, settings["timezone"])
    )
    return dose


def accept_alert(session: Session, alert: Alert, staff: StaffUser, now: datetime) -> list[int]:
    """Like TERIMA: the alert is taken (no escalation) and the resident is told who took it."""
    if alert.status in CLOSED:
        raise ChangeError("Peringatan ini sudah ditutup.")
    worker = staff.worker
    alert.status, alert.escalate_at = "accepted", None
    alert.accepted_by = worker.id if worker is not None else alert.accepted_by
    alert.updated_at = to_db(now)
    contact = session.get(Contact, alert.contact_id)
    if contact is None or contact.opted_out:
        return []
    body = load_catalog("id").t(
        "alert.resident_accepted",
        worker=worker.name if worker else "Petugas puskesmas",
        role=worker.role if worker else "puskesmas",
        ref=alert.ref,
    )
    tag = worker.id if worker else f"staff{staff.id}"
    msg = outbox.queue(
        session,
        key=f"alert:{alert.ref}:accepted:{tag}",
        to_phone=contact.phone,
        channel=contact.channel,
        body=body,
        now=now,
        contact_id=contact.id,
        kind="alert",
    )
    return [msg.id]


def close_alert(
    session: Session, alert: Alert, outcome: str, note: str, staff: StaffUser, now: datetime
) -> None:
    """Like SELESAI/RUJUK: done or referred, with the outcome and note; the linked report
    and visit are closed too."""
    if alert.status in CLOSED:
        raise ChangeError("Peringatan ini sudah ditutup.")
    if outcome not in ("visited", "referred", "no_one_home"):
        raise ChangeError("Pilih hasilnya.")
    alert.status = "referred" if outcome == "referred" else "done"
    alert.outcome, alert.note = outcome, note[:500] or None
    if alert.accepted_by is None and staff.worker_id:
        alert.accepted_by = staff.worker_id
    alert.escalate_at = None
    alert.updated_at = to_db(now)
    _close_linked(session, alert, now)


def set_report_status(
    session: Session, report: Report, status: str, note: str, staff: StaffUser, now: datetime
) -> str:
    """open -> in_progress -> resolved (a note is required to resolve); a linked alert is
    taken when work starts and closed on resolution. Returns the previous status."""
    if status not in REPORT_STATUSES:
        raise ChangeError("Status tidak dikenal.")
    if status == report.status:
        raise ChangeError("Status tidak berubah.")
    if status == "resolved" and not note:
        raise ChangeError("Tulis catatan penyelesaian.")
    previous = report.status
    report.status, report.updated_at = status, to_db(now)
    alert = session.execute(select(Alert).where(Alert.report_id == report.id)).scalar_one_or_none()
    if alert is not None and alert.status not in CLOSED:
        if status == "in_progress":
            alert.status, alert.escalate_at = "accepted", None
            alert.accepted_by = alert.accepted_by or staff.worker_id
            alert.updated_at = to_db(now)
        elif status == "resolved":
            from flows.kader_commands import outcome_of

            outcome = outcome_of(note)
            alert.status = "referred" if outcome == "referred" else "done"
            alert.outcome, alert.note = outcome, note[:500]
            alert.accepted_by = alert.accepted_by or staff.worker_id
            alert.escalate_at = None
            alert.updated_at = to_db(now)
    return previous


def visit_outcome(
    session: Session, visit: Visit, outcome: str, note: str, staff: StaffUser, now: datetime
) -> str:
    """The result of a visit: done (visited or referred), no_show or cancelled; a linked open
    alert is closed like SELESAI. Returns the previous status."""
    if outcome not in VISIT_OUTCOMES:
        raise ChangeError("Pilih hasil kunjungan.")
    if visit.status in ("done", "no_show", "cancelled"):
        raise ChangeError("Kunjungan ini sudah dicatat hasilnya.")
    previous = visit.status
    visit.status = {"no_one_home": "no_show", "cancelled": "cancelled"}.get(outcome, "done")
    visit.updated_at = to_db(now)
    alert = session.execute(select(Alert).where(Alert.visit_id == visit.id)).scalar_one_or_none()
    if alert is not None and alert.status not in CLOSED:
        alert.status = {"referred": "referred", "cancelled": "closed"}.get(outcome, "done")
        alert.outcome = None if outcome == "cancelled" else outcome
        alert.note = note[:500] or None
        alert.accepted_by = alert.accepted_by or staff.worker_id
        alert.escalate_at = None
        alert.updated_at = to_db(now)
    return previous
