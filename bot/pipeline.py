"""The inbound pipeline: dedupe -> contact -> keywords -> NLU -> flow -> events -> one
transaction that stores everything and queues the replies -> send after commit."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from bot import events as event_handlers
from bot import kader, lookups, metrics, outbox
from bot.clock import from_db, to_db
from bot.db import is_transient, retry_transient, transaction
from bot.deps import HandlerDeps
from bot.district import area_infos
from bot.handlers import HANDLERS, PROVIDERS
from bot.models import Area, Contact, Conversation, InboundMessage, OutboundMessage, Person
from bot.phones import mask, to_e164
from bot.sanitize import MAX_BODY, clean_text
from flows import kader_commands, keywords, router
from flows.base import ContactInfo, Context, Message, PersonInfo, State, Step
from flows.events import KaderCommand, as_dicts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundCommand:
    """One message from a resident, whatever the channel."""

    channel: str  # whatsapp | sms | simulator
    from_raw: str
    text: str | None
    provider_message_id: str


@dataclass
class InboundResult:
    status: str  # processed | duplicate | invalid_sender | error
    replies: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    outbound_ids: list[int] = field(default_factory=list)
    nlu: dict[str, Any] | None = None
    twiml: list[tuple[int, str]] = field(default_factory=list)  # (id, body) for the TwiML response
    twiml_channel: str | None = None  # the channel of those


def handle_inbound(cmd: InboundCommand, rt, *, twiml: bool = False) -> InboundResult:
    """Process one inbound message end to end (counted and timed in the metrics).

    With `twiml`, the answers to the sender on the channel it wrote from are not sent through
    the API: they are stored as sent and returned in `result.twiml` for the webhook's TwiML
    response, and the other messages (alerts to health workers) go out from the background
    sender after the response. Without it, everything is delivered right after the commit."""
    started = time.perf_counter()
    result = _handle_inbound(cmd, rt, twiml)
    metrics.inbound(cmd.channel, result.status, time.perf_counter() - started)
    return result


def _handle_inbound(cmd: InboundCommand, rt, twiml: bool = False) -> InboundResult:
    """Process one inbound message end to end; replies are sent after the commit.

    A transient database error runs the whole transaction once more (the provider message id
    keeps it idempotent); any other failure stores the message as failed and apologises.
    Nothing after the commit (delivery, re-planning) can fail the request."""
    now = rt.clock.now()
    phone = to_e164(cmd.from_raw, rt.settings["default_region"])
    if phone is None:
        log.warning("inbound %s from an invalid number ignored", cmd.provider_message_id[:40])
        return InboundResult("invalid_sender")
    result = None
    retried = False
    attempts = 0
    while attempts < 3:
        attempts += 1
        try:
            result = _process(cmd, phone, now, rt, twiml)
            break
        except IntegrityError:
            duplicate = retry_transient(lambda: _duplicate(cmd, rt, twiml))
            if duplicate is not None:  # the same message committed by a concurrent request
                return duplicate
            # otherwise a fresh reference code collided: run again with a new one
        except DBAPIError as exc:
            if is_transient(exc) and not retried:
                retried, attempts = True, attempts - 1
                log.warning("inbound from %s: transient database error; retrying", mask(phone))
                continue
            log.exception("inbound from %s failed; stored for follow-up", mask(phone))
            break
        except Exception:
            log.exception("inbound from %s failed; stored for follow-up", mask(phone))
            break
    if result is None:
        result = retry_transient(lambda: _store_failed(cmd, phone, now, rt, twiml))
    _after_commit(result, phone, rt, twiml)
    return result


def _after_commit(result: InboundResult, phone: str, rt, twiml: bool) -> None:
    """Send the replies and re-plan; a failure here leaves the queued replies to the
    dispatcher and the planning to the daily job, never fails the stored message."""
    try:
        in_twiml = {message_id for message_id, _ in result.twiml}
        for _ in result.twiml if result.status != "duplicate" else ():
            metrics.sent(result.twiml_channel, "sent")
        rest = [i for i in result.outbound_ids if i not in in_twiml]
        if twiml:
            rt.outbox.deliver_soon(rest)
        elif rest:
            rt.outbox.deliver_many(rest)
    except Exception:
        log.exception("delivery after inbound from %s failed; left to the dispatcher", mask(phone))
    try:
        if any(e.get("type") in REPLAN_EVENTS for e in result.events):
            _replan(phone, rt)
    except Exception:
        log.exception("re-planning after inbound from %s failed", mask(phone))


# After these, the contact's household gets its reminders re-planned at once.
REPLAN_EVENTS = {
    "consent_given",
    "contact_registered",
    "person_added",
    "person_updated",
    "person_removed",
    "birth_reported",
    "pregnancy_lost",
    "doses_reported",
    "kia_history_reported",
    "opted_in",
    "opted_out",
    "contact_moved",
}


def _replan(phone: str, rt) -> None:
    from scheduler.reminders import plan_all

    with rt.session_factory() as s:
        ids = [
            p
            for p in s.execute(
                select(Person.id)
                .join(Contact, Person.contact_id == Contact.id)
                .where(Contact.phone == phone)
            ).scalars()
        ]
    if ids:
        try:
            plan_all(rt.session_factory, rt.clock.now(), rt.settings, person_ids=ids)
        except Exception:  # planning is retried by the daily job; the reply already went
            log.exception("re-planning after a registration change failed")


def _process(cmd: InboundCommand, phone: str, now: datetime, rt, twiml: bool) -> InboundResult:
    with transaction(rt.session_factory) as s:
        if _seen(s, cmd.provider_message_id):
            return _replies_of(s, cmd.provider_message_id, "duplicate", twiml)
        contact = _contact(s, phone, cmd.channel, now)
        conv = s.execute(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).scalar_one_or_none()
        state = _state(conv, now)
        text = _storable(cmd.text)
        deps = HandlerDeps.of(rt, s, now)
        ctx = _context(deps, contact)
        msg = Message(text=text, keyword=keywords.match(text))
        parsed = None
        worker = kader.find_worker(s, phone)
        command = kader_commands.parse(text) if worker is not None else None
        kader_ids: list[int] = []
        if command is not None:
            # a registered worker's command; residents typing the same words get the flows
            replies, kader_ids = kader.handle(s, worker, command, now, rt.settings, rt.catalog)
            event = KaderCommand(command=command.name, ref=command.ref)
            step = Step(state, tuple(replies), (event,))
            msg = Message(text=text, intent="kader_command", confidence=1.0)
        elif router.needs_nlu(state, msg, ctx):
            with metrics.NLU_SECONDS.time():
                parsed = rt.nlu.parse(text, now=now, tz=ctx.tz)
            msg = Message(
                text=text,
                intent=parsed["intent"]["name"],
                confidence=parsed["intent"]["confidence"],
                entities=tuple(parsed["entities"]),
                truncated=parsed["truncated"],
            )
        if command is None:
            step = router.route(state, msg, ctx)
            greeted = msg.keyword == "menu" or msg.intent == "greet"
            if worker is not None and greeted and step.state.idle and step.replies:
                hint = rt.catalog.t("menu.worker_hint", name=worker.name)  # "halo" from a kader
                step = Step(step.state, (*step.replies, hint), step.events)
        if msg.truncated and step.replies:
            step = Step(step.state, (rt.catalog.t("menu.truncated"), *step.replies), step.events)

        inbound = InboundMessage(
            provider_message_id=cmd.provider_message_id,
            channel=cmd.channel,
            contact_id=contact.id,
            from_phone=phone,
            body=text,
            intent=msg.intent,
            confidence=msg.confidence if msg.intent else None,
            status="processed" if step.replies or step.events else "ignored",
            received_at=to_db(now),
        )
        s.add(inbound)
        s.flush()
        contact.last_inbound_at = to_db(now)
        events = list(as_dicts(step.events))  # as logged: what callers and the log see
        extra_ids = event_handlers.apply(deps, contact, tuple(events), inbound.id, HANDLERS)
        _save_state(s, conv, contact.id, step.state, now, rt.settings)
        in_twiml = twiml and contact.channel == cmd.channel
        answers = _queue_answers(s, contact, inbound, step.replies, now, in_twiml)
        ids = [a.id for a in answers] + extra_ids + kader_ids
        log.info(
            "inbound %s from %s: intent=%s events=%s replies=%d",
            inbound.id,
            mask(phone),
            msg.intent or msg.keyword,
            [e["type"] for e in events],
            len(ids),
        )
        result = InboundResult("processed", list(step.replies), events, ids, parsed)
        if in_twiml:
            result.twiml = [(a.id, a.body) for a in answers]
            result.twiml_channel = cmd.channel
        return result


def _store_failed(
    cmd: InboundCommand, phone: str, now: datetime, rt, twiml: bool = False
) -> InboundResult:
    """Keep the message and apologise, so nothing is lost when a flow fails."""
    with transaction(rt.session_factory) as s:
        if _seen(s, cmd.provider_message_id):
            return _replies_of(s, cmd.provider_message_id, "duplicate", twiml)
        contact = _contact(s, phone, cmd.channel, now)
        inbound = InboundMessage(
            provider_message_id=cmd.provider_message_id,
            channel=cmd.channel,
            contact_id=contact.id,
            from_phone=phone,
            body=_storable(cmd.text),
            status="error",
            received_at=to_db(now),
        )
        s.add(inbound)
        s.flush()
        reply = rt.catalog.t("menu.error")
        in_twiml = twiml and contact.channel == cmd.channel
        (msg,) = _queue_answers(s, contact, inbound, (reply,), now, in_twiml)
        result = InboundResult("error", [reply], [], [msg.id])
        if in_twiml:
            result.twiml, result.twiml_channel = [(msg.id, msg.body)], cmd.channel
        return result


def _queue_answers(
    s: Session,
    contact: Contact,
    inbound: InboundMessage,
    replies: tuple[str, ...] | list[str],
    now: datetime,
    in_twiml: bool,
) -> list[OutboundMessage]:
    """The answers to one inbound message, in order, on the contact's channel (stored as sent
    when they go out in the webhook's TwiML response)."""
    return [
        outbox.queue(
            s,
            key=f"reply:{inbound.id}:{i}",
            to_phone=contact.phone,
            channel=contact.channel,
            body=reply,
            now=now,
            contact_id=contact.id,
            inbound_id=inbound.id,
            in_twiml=in_twiml,
        )
        for i, reply in enumerate(replies)
    ]


def _duplicate(cmd: InboundCommand, rt, twiml: bool = False) -> InboundResult | None:
    with transaction(rt.session_factory) as s:
        if not _seen(s, cmd.provider_message_id):
            return None
        return _replies_of(s, cmd.provider_message_id, "duplicate", twiml)


def _seen(s: Session, provider_id: str) -> bool:
    return (
        s.execute(
            select(InboundMessage.id).where(InboundMessage.provider_message_id == provider_id)
        ).first()
        is not None
    )


def _replies_of(s: Session, provider_id: str, status: str, twiml: bool = False) -> InboundResult:
    """The answers already stored for a message seen before. For a webhook Twilio sent again,
    the TwiML answers it never confirmed (no status callback yet) go in the response again:
    Twilio repeats a webhook only when it did not get the first response."""
    rows = s.execute(
        select(OutboundMessage)
        .join(InboundMessage, OutboundMessage.inbound_id == InboundMessage.id)
        .where(InboundMessage.provider_message_id == provider_id)
        .order_by(OutboundMessage.id)
    ).scalars()
    rows = list(rows)
    result = InboundResult(status, [r.body for r in rows])
    if twiml:
        result.twiml = [
            (r.id, r.body)
            for r in rows
            if r.kind == "reply" and r.status == "sent" and r.provider_message_id is None
        ]
    return result


def _contact(s: Session, phone: str, channel: str, now: datetime) -> Contact:
    contact = s.execute(select(Contact).where(Contact.phone == phone)).scalar_one_or_none()
    if contact is None:
        contact = Contact(phone=phone, channel=channel, language="id", created_at=to_db(now))
        s.add(contact)
        s.flush()
        lookups.mark_new(s, contact)
    elif contact.channel != channel and channel in ("whatsapp", "simulator"):
        contact.channel = channel  # replies go back the way the resident wrote
    return contact


def _context(deps: HandlerDeps, contact: Contact) -> Context:
    """Everything a flow step may read, loaded before it runs (steps do no I/O)."""
    s, now = deps.session, deps.now
    rows = list(s.execute(select(Area)).scalars())
    areas = area_infos(s, deps.default_tz, rows)
    by_id = {a.id: a.code for a in rows}
    persons = (
        ()
        if lookups.is_new(s, contact)  # created by this message: nobody registered yet
        else s.execute(
            select(Person)
            .where(Person.contact_id == contact.id, Person.status == "active")
            .order_by(Person.id)
        ).scalars()
    )
    household = tuple(
        PersonInfo(
            id=p.id,
            name=p.name,
            sex=p.sex,
            birth_date=p.birth_date,
            hpht=p.hpht,
            edd=p.edd,
            delivery_date=p.delivery_date,
            area_code=by_id.get(p.area_id),
            pregnancy_outcome=p.pregnancy_outcome,
        )
        for p in persons
    )
    area_code = by_id.get(contact.area_id)
    tz = next((a.timezone for a in areas if a.code == area_code), deps.default_tz)
    info = ContactInfo(
        id=contact.id,
        phone=contact.phone,
        channel=contact.channel,
        name=contact.name,
        opted_out=contact.opted_out,
        registered=bool(household) or contact.name is not None,
        consented=contact.consent_at is not None,
        area_code=area_code,
    )
    return Context(
        now=now,
        contact=info,
        t=deps.catalog.t,
        settings=deps.settings,
        household=household,
        areas=areas,
        places=deps.places,
        tz=tz,
        ref=deps.new_ref(),
        lookups=lookups.collect(deps, contact, PROVIDERS),
    )


def _state(conv: Conversation | None, now: datetime) -> State:
    if conv is None or conv.flow is None:
        return State()
    expires = from_db(conv.expires_at)
    if expires is not None and expires <= now:
        return State()
    return State(conv.flow, conv.step, dict(conv.slots or {}))


def _save_state(
    s: Session,
    conv: Conversation | None,
    contact_id: int,
    state: State,
    now: datetime,
    settings: dict[str, Any],
) -> None:
    if conv is None:
        if state.idle:
            return
        conv = Conversation(contact_id=contact_id, slots={})
        s.add(conv)
    conv.flow = state.flow
    conv.step = state.step
    conv.slots = dict(state.slots)
    hours = settings["conversation"]["expiry_hours"]
    conv.expires_at = None if state.idle else to_db(now + timedelta(hours=hours))
    conv.updated_at = to_db(now)


def _storable(text: str | None) -> str:
    """The body as we keep it and hand it to the NLU (bot/sanitize.py: no lone surrogates,
    NUL or control characters except newline and tab; bounded size)."""
    return clean_text(text, MAX_BODY)
