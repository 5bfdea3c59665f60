"""Apply PINDAH / GANTI NOMOR: a new phone number, or a new area for the household."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.catalog import load_catalog
from bot.clock import to_db
from bot.models import Area, Contact, Person
from bot.phones import mask

log = logging.getLogger(__name__)


def phone_changed(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    new = event["new_phone"]
    t = load_catalog("id").t
    if session.execute(select(Contact.id).where(Contact.phone == new)).first():
        msg = outbox.queue(
            session,
            key=f"phone-taken:{contact.id}:{new}",
            to_phone=contact.phone,
            channel=contact.channel,
            body=t("contact.phone_taken", phone=new),
            now=now,
            contact_id=contact.id,
        )
        return [msg.id]
    log.info("contact %s moves to %s", mask(contact.phone), mask(new))
    contact.phone = new
    contact.last_inbound_at = None  # the new number has not written to us yet
    session.flush()
    msg = outbox.queue(
        session,
        key=f"new-number:{contact.id}:{new}",
        to_phone=new,
        channel="sms" if contact.channel == "whatsapp" else contact.channel,
        body=t("contact.welcome_new_number"),
        now=now,
        kind="system",
        contact_id=contact.id,
    )
    return [msg.id]


def moved(session: Session, contact: Contact, event: dict[str, Any], now: datetime):
    area = session.execute(select(Area).where(Area.code == event["area_code"])).scalar_one()
    contact.area_id = area.id
    for person in session.execute(select(Person).where(Person.contact_id == contact.id)).scalars():
        person.area_id = area.id
    return None


def opted_out(session: Session, contact: Contact, event: dict[str, Any], now: datetime) -> None:
    contact.opted_out = True
    contact.opted_out_at = to_db(now)


def opted_in(session: Session, contact: Contact, event: dict[str, Any], now: datetime) -> None:
    contact.opted_out = False
    contact.opted_out_at = None
    if contact.consent_at is None:
        contact.consent_at = to_db(now)


HANDLERS = {
    "opted_out": opted_out,
    "opted_in": opted_in,
    "contact_phone_changed": phone_changed,
    "contact_moved": moved,
}
