"""Apply the domain events that flows emit, inside the pipeline's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.clock import to_db
from bot.deps import HandlerDeps
from bot.models import Contact, EventLog
from flows.events import FlowEvent, as_dict

# A handler works in `deps.session` at `deps.now`; it may queue outbound messages (alerts to
# workers...) in the same transaction and returns their ids, so the pipeline sends them after
# the commit.
Handler = Callable[[HandlerDeps, Contact, dict[str, Any]], "list[int] | None"]


def apply(
    deps: HandlerDeps,
    contact: Contact,
    events: tuple[FlowEvent | dict[str, Any], ...],
    inbound_id: int | None,
    handlers: Mapping[str, Handler],
) -> list[int]:
    """Run each event's handler in `handlers` (if any) with `deps`, log every event in
    `deps.session`; return outbound ids to send. An event may be a `flows.events` dataclass
    or (still) a dict: handlers and the log get it as the dict `to_dict()` gives."""
    queued: list[int] = []
    for seq, typed in enumerate(events):
        event = as_dict(typed)
        handler = handlers.get(event["type"])
        if handler is not None:
            queued.extend(handler(deps, contact, event) or [])
        deps.session.add(
            EventLog(
                type=event["type"],
                payload={k: v for k, v in event.items() if k != "type"},
                contact_id=contact.id,
                inbound_id=inbound_id,
                seq=seq,
                created_at=to_db(deps.now),
            )
        )
    return queued
