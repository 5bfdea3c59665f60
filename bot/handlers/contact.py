"""Apply PINDAH / GANTI NOMOR: a new phone number, or a new area for the household."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bot import outbox
from bot.clock import to_db
from bot.deps import HandlerDeps
from bot.models import Area, Contact, Person
from bot.phones import mask

log = logging.getLogger(__name__)


def phone_changed(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int]:
    """GANTI NOMOR: the contact moves to the new number (welcomed there), unless it is taken."""
    session, now, t = deps.session, deps.now, deps.catalog.t
    new = event["new_phone"]
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


def moved(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """PINDAH: the contact and every member of the household are in the new area."""
    session = deps.session
    area = session.execute(select(Area).where(Area.code == event["area_code"])).scalar_one()
    contact.area_id = area.id
    for person in session.execute(select(Person).where(Person.contact_id == contact.id)).scalars():
        person.area_id = area.id
    return None


def opted_out(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    contact.opted_out = True
    contact.opted_out_at = to_db(deps.now)


def opted_in(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    contact.opted_out = False
    contact.opted_out_at = None
    if contact.consent_at is None:
        contact.consent_at = to_db(deps.now)


HANDLERS = {
    "opted_out": opted_out,
    "opted_in": opted_in,
    "contact_phone_changed": phone_changed,
    "contact_moved": moved,
}
