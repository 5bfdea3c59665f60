"""Queries of the outbox page: messages in scope (to residents in the staff member's areas;
to workers, who have no contact, only for admins), their counts by status, and the resident
each contact's messages link to."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.dashboard import core
from bot.models import Contact, OutboundMessage, Person


def messages_query(scope: core.Scope):
    """Messages to residents in scope; messages to workers (no contact) only for admins."""
    q = select(OutboundMessage, Contact).outerjoin(
        Contact, OutboundMessage.contact_id == Contact.id
    )
    if scope.everything:
        return q
    return q.where(scope.clause(Contact.area_id))


def message_rows(
    session: Session, scope: core.Scope, *, statuses: Collection[str] | None, limit: int
) -> list[dict[str, Any]]:
    """Messages in scope among `statuses` (None = any), newest first, with the Twilio error
    explained for the failed ones."""
    q = messages_query(scope)
    if statuses is not None:
        q = q.where(OutboundMessage.status.in_(statuses))
    rows = []
    for m, c in session.execute(q.order_by(OutboundMessage.id.desc()).limit(limit)).all():
        failed = m.status in ("failed", "undelivered")
        rows.append(
            {
                "id": m.id,
                "waktu": core.local(m.created_at),
                "ke": m.to_phone,
                "nama": c.name if c is not None and c.name else "",
                "kontak_id": m.contact_id,
                "saluran": core.label("channel", m.channel),
                "jenis": core.label("message_kind", m.kind),
                "status": core.label("outbound_status", m.status),
                "status_kode": m.status,
                "gagal": failed,
                "percobaan": m.attempts,
                "kode_error": m.error_code or "",
                "penjelasan": core.twilio_error(m.error_code) if failed else "",
                "isi": m.body[:300],
            }
        )
    return rows


def message_status_counts(session: Session, scope: core.Scope) -> dict[str, int]:
    """How many messages in scope have each status."""
    sub = messages_query(scope).subquery()
    return dict(session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all())


def first_person_of(session: Session, contact_ids: Collection[int]) -> dict[int, int]:
    """Contact id -> the id of its first-registered resident (the link of a message row)."""
    person_of: dict[int, int] = {}
    if contact_ids:
        for p in session.execute(
            select(Person).where(Person.contact_id.in_(contact_ids)).order_by(Person.id)
        ).scalars():
            person_of.setdefault(p.contact_id, p.id)
    return person_of
