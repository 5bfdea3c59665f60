"""Apply the domain events that flows emit, inside the pipeline's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import to_db
from bot.models import Contact, EventLog

# A handler may queue outbound messages (alerts to workers...) in the same transaction and
# returns their ids, so the pipeline sends them after the commit.
Handler = Callable[[Session, Contact, dict[str, Any], datetime], "list[int] | None"]


def apply(
    session: Session,
    contact: Contact,
    events: tuple[dict[str, Any], ...],
    now: datetime,
    inbound_id: int | None,
    handlers: Mapping[str, Handler],
) -> list[int]:
    """Run each event's handler in `handlers` (if any), log every event; return outbound ids
    to send."""
    queued: list[int] = []
    for seq, event in enumerate(events):
        handler = handlers.get(event["type"])
        if handler is not None:
            queued.extend(handler(session, contact, event, now) or [])
        session.add(
            EventLog(
                type=event["type"],
                payload={k: v for k, v in event.items() if k != "type"},
                contact_id=contact.id,
                inbound_id=inbound_id,
                seq=seq,
                created_at=to_db(now),
            )
        )
    return queued
