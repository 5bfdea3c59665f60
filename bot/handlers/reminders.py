"""Replies to reminders: what the last reminder asked about, and SUDAH recorded as given."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot import doses
from bot.clock import to_db
from bot.deps import HandlerDeps
from bot.lookups import is_new
from bot.models import Contact, DoseRecord, OutboundMessage, Person, Reminder
from flows.booking import anc_in_order

ANSWER_WINDOW = timedelta(days=14)


def last_reminder(deps: HandlerDeps, contact: Contact) -> list[dict[str, Any]]:
    """Items of the newest reminder message sent in the last 14 days that are still open, in
    the reminder's order: an answer is read against exactly these."""
    session, now = deps.session, deps.now
    if is_new(session, contact):  # nothing was ever sent to a contact created just now
        return []
    latest = session.execute(
        select(OutboundMessage.id)
        .where(
            OutboundMessage.contact_id == contact.id,
            OutboundMessage.kind == "reminder",
            OutboundMessage.created_at >= to_db(now - ANSWER_WINDOW),
        )
        .order_by(OutboundMessage.id.desc())
        .limit(1)
    ).scalar()
    if latest is None:
        return []
    rows = list(
        session.execute(
            select(Reminder)
            .where(Reminder.outbound_id == latest, Reminder.status == "sent")
            .order_by(Reminder.due_on, Reminder.id)  # as the reminder listed them
        ).scalars()
    )
    anc = {r.person_id for r in rows if r.item.startswith("ANC")}
    had: dict[int, list[str]] = {}
    if anc:  # an antenatal check is named by how many she had (flows.booking.anc_in_order)
        for pid, item in session.execute(
            select(DoseRecord.person_id, DoseRecord.item).where(
                DoseRecord.person_id.in_(sorted(anc)), DoseRecord.item.like("ANC%")
            )
        ):
            had.setdefault(pid, []).append(item)
    out = []
    for r in rows:
        before = had.setdefault(r.person_id, [])
        name = anc_in_order(r.item, list(before))
        before.append(r.item)
        out.append(
            {"person_id": r.person_id, "item": r.item, "occurrence": r.occurrence, "name": name}
        )
    return out


def doses_reported(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """The resident says it was done: record it as self-reported and stop those reminders."""
    session, now = deps.session, deps.now
    given_on = date.fromisoformat(event["given_on"])
    new: dict[int, list[doses.Given]] = {}
    for item in event["items"]:
        exists = session.execute(
            select(DoseRecord.id).where(
                DoseRecord.person_id == item["person_id"],
                DoseRecord.item == item["item"],
                DoseRecord.occurrence == item["occurrence"],
            )
        ).first()
        if exists is None:
            given = doses.Given(item["item"], given_on, "self_report", None, item["occurrence"])
            new.setdefault(item["person_id"], []).append(given)
        for r in session.execute(
            select(Reminder).where(
                Reminder.person_id == item["person_id"],
                Reminder.item == item["item"],
                Reminder.occurrence == item["occurrence"],
                Reminder.status.in_(("pending", "sent")),
            )
        ).scalars():
            r.status, r.updated_at = "done", to_db(now)
    session.flush()
    for person_id, items in new.items():  # the one dose service: recorded, then re-planned
        person = session.get(Person, person_id)
        if person is not None and person.status == "active":
            doses.record(session, person, items, given_on, now, deps.settings)


HANDLERS = {
    "doses_reported": doses_reported,
}


PROVIDERS = {
    "reminders": last_reminder,
}
