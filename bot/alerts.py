"""Alert routing: who is responsible for an area, the alert text, escalation when nobody
accepts in time. Used by the event handlers, the kader commands and the scheduler."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.catalog import load_catalog
from bot.clock import to_db
from bot.models import Alert, Area, Contact, Person, Worker
from flows.base import PersonInfo
from flows.lifestage import age_days, life_stage, weeks_pregnant

log = logging.getLogger(__name__)
STAGE_WORDS = {
    "pregnant": "ibu hamil",
    "postpartum": "ibu nifas",
    "newborn": "bayi baru lahir",
    "infant": "bayi",
    "child": "balita",
    "school_age": "anak sekolah",
    "adult": "dewasa",
    "elderly": "lansia",
}
SYMPTOM_WORDS = {
    "fever": "demam",
    "diarrhoea": "diare",
    "convulsion": "kejang",
    "bleeding": "perdarahan",
    "shortness_of_breath": "sesak napas",
    "cough": "batuk",
    "vomiting": "muntah",
    "chest_pain": "nyeri dada",
    "unconscious": "tidak sadar",
    "not_feeding": "tidak mau menyusu",
    "headache": "sakit kepala",
}


def escalation_delay(settings: dict[str, Any], urgency: str) -> timedelta:
    a = settings["alerts"]
    if urgency == "emergency":
        return timedelta(minutes=a["escalate_emergency_minutes"])
    return timedelta(hours=a["escalate_routine_hours"])


def area_chain(session: Session, area_id: int | None) -> list[int]:
    """The area and its ancestors (RT -> RW -> dusun -> desa)."""
    chain: list[int] = []
    while area_id is not None and area_id not in chain:
        chain.append(area_id)
        area_id = session.execute(select(Area.parent_id).where(Area.id == area_id)).scalar()
    return chain


def responsible(
    session: Session, area_id: int | None, roles: tuple[str, ...], exclude: set[int] = frozenset()
) -> list[Worker]:
    """Active workers with one of `roles` covering the area (or an ancestor of it)."""
    chain = area_chain(session, area_id)
    workers = session.execute(
        select(Worker).where(Worker.active.is_(True), Worker.role.in_(roles)).order_by(Worker.id)
    ).scalars()
    return [
        w
        for w in workers
        if w.id not in exclude and (not chain or any(a.id in chain for a in w.areas))
    ]


def describe(session: Session, alert: Alert, now: datetime) -> dict[str, str]:
    """who / area / what / phone for the alert text, in a few words each."""
    cat = load_catalog("id")
    contact = session.get(Contact, alert.contact_id)
    person = session.get(Person, alert.person_id) if alert.person_id else None
    area = session.get(Area, alert.area_id) if alert.area_id else None
    who = cat.t("alert.unknown_person")
    if person is not None:
        info = PersonInfo(
            person.id,
            person.name,
            person.sex,
            person.birth_date,
            person.hpht,
            person.edd,
            person.delivery_date,
        )
        today = now.date()
        stage = life_stage(info, today)
        parts = [person.name]
        if stage:
            parts.append(STAGE_WORDS[stage])
        weeks = weeks_pregnant(info, today)
        days = age_days(info, today)
        if weeks is not None:
            parts.append(f"hamil {weeks} mgg")
        elif days is not None and days < 365 * 2:
            parts.append(f"umur {days // 30} bln" if days >= 60 else f"umur {days} hr")
        elif days is not None:
            parts.append(f"umur {days // 365} th")
        who = ", ".join(parts)
    return {
        "ref": alert.ref,
        "who": who,
        "area": area.name if area else cat.t("alert.unknown_area"),
        "what": alert.summary or "-",
        "phone": contact.phone if contact else "-",
    }


def summary(symptoms: list[str], text: str) -> str:
    words = [SYMPTOM_WORDS.get(s, s.replace("_", " ")) for s in symptoms]
    if words:
        return ", ".join(words)[:80]
    snippet = " ".join(text.split())
    return (snippet[:77] + "...") if len(snippet) > 80 else snippet


def notify(
    session: Session,
    alert: Alert,
    workers: list[Worker],
    key: str,
    now: datetime,
    tag: str,
    **extra: str,
) -> list[int]:
    """Queue the alert text to each worker (WhatsApp; SMS fallback is the outbox's job)."""
    text = load_catalog("id").t(key, **describe(session, alert, now), **extra)
    ids = []
    for w in workers:
        msg = outbox.queue(
            session,
            key=f"alert:{alert.ref}:{tag}:{w.id}",
            to_phone=w.phone,
            channel="whatsapp",
            body=text,
            now=now,
            kind="alert",
        )
        ids.append(msg.id)
    return ids


def raise_alert(
    session: Session, alert: Alert, now: datetime, settings: dict[str, Any]
) -> list[int]:
    """Send a new alert to the area's kader and bidan and set its escalation time."""
    # unknown area (an unregistered resident): the puskesmas on duty, until the area is known
    workers = responsible(session, alert.area_id, ("kader", "bidan")) if alert.area_id else []
    if not workers:
        workers = responsible(session, alert.area_id, ("admin",))
    alert.escalate_at = to_db(now + escalation_delay(settings, alert.urgency))
    key = "alert.emergency" if alert.urgency == "emergency" else "alert.routine"
    return notify(session, alert, workers, key, now, f"l{alert.level}")


def escalate_due(session: Session, now: datetime, settings: dict[str, Any]) -> list[int]:
    """Alerts nobody accepted in time go to the puskesmas on duty; everyone is told."""
    due = session.execute(
        select(Alert)
        .where(Alert.status == "open", Alert.escalate_at <= to_db(now))
        .order_by(Alert.id)
        .with_for_update(skip_locked=True)
    ).scalars()
    ids: list[int] = []
    cat = load_catalog("id")
    for alert in list(due):
        minutes = int(escalation_delay(settings, alert.urgency).total_seconds() // 60)
        first = responsible(session, alert.area_id, ("kader", "bidan"))
        duty = responsible(session, alert.area_id, ("admin",)) or responsible(
            session, None, ("admin",)
        )
        ids += notify(session, alert, duty, "alert.escalated", now, "esc", minutes=str(minutes))
        ids += notify(session, alert, first, "alert.escalated_notice", now, "escnote")
        contact = session.get(Contact, alert.contact_id)
        if contact is not None and not contact.opted_out:
            msg = outbox.queue(
                session,
                key=f"alert:{alert.ref}:resident-esc",
                to_phone=contact.phone,
                channel=contact.channel,
                body=cat.t("alert.resident_escalated", ref=alert.ref),
                now=now,
                contact_id=contact.id,
                kind="alert",
            )
            ids.append(msg.id)
        alert.status = "escalated"
        alert.level = 2
        alert.escalate_at = None
        alert.updated_at = to_db(now)
        log.info("alert %s escalated to %d on-duty worker(s)", alert.ref, len(duty))
    return ids
