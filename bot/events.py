"""Apply the domain events that flows emit, inside the pipeline's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import to_db
from bot.models import Contact, EventLog

# A handler may queue outbound messages (alerts to workers...) in the same transaction and
# returns their ids, so the pipeline sends them after the commit.
Handler = Callable[[Session, Contact, dict[str, Any], datetime], "list[int] | None"]


def _opted_out(session: Session, contact: Contact, event: dict[str, Any], now: datetime) -> None:
    contact.opted_out = True
    contact.opted_out_at = to_db(now)


def _opted_in(session: Session, contact: Contact, event: dict[str, Any], now: datetime) -> None:
    contact.opted_out = False
    contact.opted_out_at = None
    if contact.consent_at is None:
        contact.consent_at = to_db(now)


HANDLERS: dict[str, Handler] = {"opted_out": _opted_out, "opted_in": _opted_in}


def register(event_type: str) -> Callable[[Handler], Handler]:
    """Decorator for modules that add event handlers (registration, reports, visits...)."""

    def wrap(fn: Handler) -> Handler:
        HANDLERS[event_type] = fn
        return fn

    return wrap


def apply(
    session: Session,
    contact: Contact,
    events: tuple[dict[str, Any], ...],
    now: datetime,
    inbound_id: int | None,
) -> list[int]:
    """Run each event's handler (if any), log every event; return outbound ids to send."""
    import bot.handlers  # noqa: F401  (registers the feature handlers)

    queued: list[int] = []
    for seq, event in enumerate(events):
        handler = HANDLERS.get(event["type"])
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
