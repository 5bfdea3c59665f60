"""Symptom reports, complaints and alerts: apply the flows' events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import alerts
from bot.clock import to_db
from bot.events import register
from bot.models import Alert, Area, Contact, Person, Report


def _person_area(session: Session, contact: Contact, person_id: int | None) -> int | None:
    if person_id:
        person = session.get(Person, person_id)
        if person is not None and person.area_id:
            return person.area_id
    return contact.area_id


@register("report_filed")
def report_filed(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    session.add(
        Report(
            ref=event["ref"],
            kind="symptom",
            contact_id=contact.id,
            person_id=event.get("person_id"),
            urgency=event["urgency"],
            symptoms=event.get("symptoms") or [],
            text=event.get("text", ""),
            status="open",
            created_at=to_db(now),
            updated_at=to_db(now),
        )
    )
    session.flush()


@register("alert_raised")
def alert_raised(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    from flask import current_app

    report = session.execute(select(Report).where(Report.ref == event["ref"])).scalar_one_or_none()
    alert = Alert(
        ref=event["ref"],
        kind=event.get("kind", "symptom"),
        urgency=event["urgency"],
        report_id=report.id if report else None,
        contact_id=contact.id,
        person_id=event.get("person_id"),
        area_id=_person_area(session, contact, event.get("person_id")),
        status="open",
        level=1,
        summary=alerts.summary(event.get("symptoms") or [], event.get("text", "")),
        declined_by=[],
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    settings = current_app.extensions["jemput_bola"].settings
    return alerts.raise_alert(session, alert, now, settings)


@register("alert_area_given")
def alert_area_given(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    """The resident told us their desa after an emergency: remember it, tell its workers."""
    area = session.execute(select(Area).where(Area.code == event["area_code"])).scalar_one()
    if contact.area_id is None:
        contact.area_id = area.id
    alert = session.execute(select(Alert).where(Alert.ref == event.get("ref"))).scalar_one_or_none()
    if alert is None or alert.area_id is not None:
        return None
    alert.area_id = area.id
    workers = alerts.responsible(session, area.id, ("kader", "bidan"))
    key = "alert.emergency" if alert.urgency == "emergency" else "alert.routine"
    return alerts.notify(session, alert, workers, key, now, "area")


@register("complaint_filed")
def complaint_filed(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    session.add(
        Report(
            ref=event["ref"],
            kind="complaint",
            contact_id=contact.id,
            urgency="routine",
            category=event["category"],
            symptoms=[],
            text=f"[{event.get('facility')}] {event.get('text', '')}",
            status="open",
            created_at=to_db(now),
            updated_at=to_db(now),
        )
    )


@register("question_forwarded")
def question_forwarded(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    """A question the bot cannot answer goes to the kader/bidan as a routine alert."""
    from flask import current_app

    alert = Alert(
        ref=event["ref"],
        kind="question",
        urgency="routine",
        contact_id=contact.id,
        area_id=contact.area_id,
        status="open",
        level=1,
        summary=alerts.summary([], "Tanya: " + event.get("text", "")),
        declined_by=[],
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    return alerts.raise_alert(session, alert, now, current_app.extensions["jemput_bola"].settings)


@register("help_needed")
def help_needed(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    """The bot gave up after asking three times: a kader takes over (routine alert)."""
    from flask import current_app

    ref = event.get("ref") or f"H{contact.id}-{now:%y%m%d%H%M%S}"[:20]
    if session.execute(select(Alert.id).where(Alert.ref == ref)).first():
        return None
    alert = Alert(
        ref=ref,
        kind="help",
        urgency="routine",
        contact_id=contact.id,
        area_id=contact.area_id,
        status="open",
        level=1,
        summary=f"Butuh bantuan ({event.get('flow') or '-'})",
        declined_by=[],
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    return alerts.raise_alert(session, alert, now, current_app.extensions["jemput_bola"].settings)
