"""The outbox: queue messages in the caller's transaction, send them after it commits,
retry with exponential backoff, and record delivery status moving only forward."""

from __future__ import annotations

import json
import logging
import os
import queue as queues
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.clock import from_db, to_db
from bot.db import transaction
from bot.models import Contact, OutboundMessage, Worker
from bot.phones import mask
from bot.senders import OPTED_OUT_CODES, SMS_FALLBACK_CODES, Outgoing, Sender, SendError

log = logging.getLogger(__name__)

# Delivery states in the order Twilio moves through them; a status never moves backwards.
RANK = {
    "queued": 0,
    "retry": 0,
    "sending": 1,
    "accepted": 2,
    "scheduled": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}
FINAL = {"delivered", "undelivered", "failed", "canceled", "read"}
# A message is claimed just before it is sent (after the rate limiter's wait) and the Twilio
# request times out after 15 s: one still `sending` a minute later belongs to a dead dispatcher.
STALE_SENDING = timedelta(minutes=1)


WINDOW = timedelta(hours=24)  # WhatsApp: free text only within 24 h of the user's last message


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_seconds: int = 30

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.base_seconds * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class SendingRules:
    """Templates for business-initiated WhatsApp messages, and sending rates per channel."""

    templates: dict = field(default_factory=dict)  # kind -> ContentSid
    rates: dict = field(default_factory=dict)  # channel -> messages per second (0 = no limit)


class RateLimiter:
    """Spaces sends per channel so a sender never exceeds its configured rate."""

    def __init__(self, rates: dict, sleep=time.sleep, monotonic=time.monotonic) -> None:
        self.rates = rates
        self.sleep = sleep
        self.monotonic = monotonic
        self.next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        rate = float(self.rates.get(channel) or 0)
        if rate <= 0:
            return
        with self._lock:  # reserve the next slot, then sleep outside the lock
            now = self.monotonic()
            slot = max(self.next_slot.get(channel, now), now)
            self.next_slot[channel] = slot + 1.0 / rate
        if slot > now:
            self.sleep(slot - now)


def queue(
    session: Session,
    *,
    key: str,
    to_phone: str,
    channel: str,
    body: str,
    now: datetime,
    kind: str = "reply",
    contact_id: int | None = None,
    inbound_id: int | None = None,
    in_twiml: bool = False,
) -> OutboundMessage:
    """Add a message to the outbox once per idempotency key (a second call returns the first).

    `in_twiml`: an answer going out in the webhook's TwiML response, stored as sent at once
    (its key names the new inbound row, so it cannot exist yet)."""
    if not in_twiml:
        existing = session.execute(
            select(OutboundMessage).where(OutboundMessage.idempotency_key == key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    msg = OutboundMessage(
        idempotency_key=key,
        to_phone=to_phone,
        channel=channel,
        body=body[:1600],
        kind=kind,
        contact_id=contact_id,
        inbound_id=inbound_id,
        status="sent" if in_twiml else "queued",
        attempts=1 if in_twiml else 0,
        next_attempt_at=to_db(now),
        sent_at=to_db(now) if in_twiml else None,
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    if in_twiml or session.get_bind().dialect.name != "postgresql":
        session.add(msg)  # SQLite: one writer at a time, no concurrent insert of the same key
        session.flush()
        return msg
    try:  # another process may insert the same key at the same moment: keep theirs
        with session.begin_nested():
            session.add(msg)
    except IntegrityError:
        return session.execute(
            select(OutboundMessage).where(OutboundMessage.idempotency_key == key)
        ).scalar_one()
    return msg


class Outbox:
    def __init__(
        self,
        factory: sessionmaker,
        senders: dict[str, Sender],
        clock,
        policy: RetryPolicy | None = None,
        rules: SendingRules | None = None,
    ) -> None:
        self.factory = factory
        self.senders = senders
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.rules = rules or SendingRules()
        self.limiter = RateLimiter(self.rules.rates)

    def deliver(self, message_id: int) -> str | None:
        """Send one queued message if nobody else has claimed it; return its new status."""
        claimed = self._claim(OutboundMessage.id == message_id)
        return self._send(claimed) if claimed else None

    def _claim(self, *where) -> tuple[int, Outgoing, int] | None:
        """Claim the first queued/retrying message matching `where`, in one transaction.

        On PostgreSQL the row is locked with FOR UPDATE SKIP LOCKED, so dispatchers in several
        processes (or machines) each take a different message and never wait for each other.
        SQLite has one writer at a time; there the conditional UPDATE (a message still queued
        or retrying) decides who got it. The rate limiter waits before the claim, so a claimed
        message goes out at once and `sending` lasts only as long as the request to Twilio."""
        now = self.clock.now()
        with transaction(self.factory) as s:
            row = s.execute(
                select(OutboundMessage.id, OutboundMessage.channel)
                .where(OutboundMessage.status.in_(("queued", "retry")), *where)
                .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            self.limiter.wait(row.channel)
            now = self.clock.now()
            got = s.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id == row.id,
                    OutboundMessage.status.in_(("queued", "retry")),
                )
                .values(
                    status="sending", attempts=OutboundMessage.attempts + 1, updated_at=to_db(now)
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if got != 1:  # SQLite: another dispatcher claimed it between our read and write
                return None
            msg = s.get(OutboundMessage, row.id)
            return msg.id, self._outgoing(s, msg, now), msg.attempts

    def _send(self, claimed: tuple[int, Outgoing, int]) -> str:
        """Send one claimed message and commit its result at once: a dispatcher killed
        mid-batch can have sent at most the one message in flight without recording it."""
        message_id, out, attempts = claimed
        sender = self.senders.get(out.channel)
        try:
            if sender is None:
                raise SendError(f"no sender for channel {out.channel}")
            sent = sender.send(out)
        except SendError as exc:
            status = self._failed(message_id, attempts, exc)
            metrics.sent(out.channel, status, exc.code)
            if exc.code in SMS_FALLBACK_CODES and out.channel == "whatsapp":
                fallback = self._sms_fallback(message_id)
                if fallback is not None:
                    self.deliver(fallback)
            return status
        status = sent.status if RANK.get(sent.status, 0) >= RANK["sent"] else "sent"
        metrics.sent(out.channel, "sent")
        done = to_db(self.clock.now())
        with transaction(self.factory) as s:
            s.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == message_id)
                .values(
                    provider_message_id=sent.provider_id,
                    status=status,
                    sent_at=done,
                    updated_at=done,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
        return status

    def _outgoing(self, s: Session, msg: OutboundMessage, now: datetime) -> Outgoing:
        """A WhatsApp message we initiate outside the 24 h window uses its approved template."""
        content_sid = variables = None
        template = self.rules.templates.get(msg.kind)
        if msg.channel == "whatsapp" and msg.kind != "reply" and template:
            contact = s.get(Contact, msg.contact_id) if msg.contact_id else None
            last = from_db(contact.last_inbound_at) if contact else None
            if last is None or now - last > WINDOW:
                content_sid = template
                variables = json.dumps({"1": msg.body[:1000]}, ensure_ascii=False)
        return Outgoing(
            msg.to_phone, msg.channel, msg.body, msg.idempotency_key, content_sid, variables
        )

    def _sms_fallback(self, message_id: int) -> int | None:
        """Queue the same text once by SMS after a WhatsApp failure that SMS can get around."""
        now = self.clock.now()
        with transaction(self.factory) as s:
            msg = s.get(OutboundMessage, message_id)
            copy = queue(
                s,
                key=msg.idempotency_key + ":sms",
                to_phone=msg.to_phone,
                channel="sms",
                body=msg.body,
                now=now,
                kind=msg.kind,
                contact_id=msg.contact_id,
            )
            return copy.id if copy.status == "queued" else None

    def _failed(self, message_id: int, attempts: int, exc: SendError) -> str:
        now = self.clock.now()
        with transaction(self.factory) as s:
            msg = s.get(OutboundMessage, message_id)
            msg.error_code = exc.code
            msg.last_error = str(exc)[:500]
            msg.updated_at = to_db(now)
            if exc.code in OPTED_OUT_CODES and msg.contact_id:
                mark_opted_out(s, msg.contact_id, now)
            if exc.code in SMS_FALLBACK_CODES and msg.channel == "whatsapp":
                msg.status = "failed"  # the SMS copy carries it from here
            elif exc.retryable and attempts < self.policy.max_attempts:
                msg.status = "retry"
                msg.next_attempt_at = to_db(now + self.policy.delay(attempts))
            else:
                msg.status = "failed"
            log.warning(
                "send to %s failed (%s, attempt %d): %s",
                mask(msg.to_phone),
                exc.code,
                attempts,
                msg.status,
            )
            return msg.status

    def deliver_many(self, ids: list[int]) -> dict[int, str | None]:
        """Send several messages one after another (each claimed just before it is sent)."""
        return {message_id: self.deliver(message_id) for message_id in ids}

    def deliver_soon(self, ids: list[int]) -> None:
        """Send these messages from this process's background sender, after the response.

        Nothing is lost if the process dies first: the rows stay queued for the dispatcher."""
        if not ids:
            return
        self._background().put(list(ids))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until the background sender has nothing left (tests and shutdown)."""
        pending = self._pending
        if pending is None or pending[0] != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        while pending[1].unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not pending[1].unfinished_tasks

    _pending: tuple[int, queues.Queue] | None = None

    def _background(self) -> queues.Queue:
        """One sender thread per process, started on first use (so after a gunicorn fork)."""
        with _START_LOCK:
            if self._pending is None or self._pending[0] != os.getpid():
                pending: queues.Queue = queues.Queue()
                self._pending = (os.getpid(), pending)
                threading.Thread(
                    target=self._run_background, args=(pending,), name="outbox", daemon=True
                ).start()
            return self._pending[1]

    def _run_background(self, pending: queues.Queue) -> None:
        while True:
            ids = pending.get()
            try:
                self.deliver_many(ids)
            except Exception:
                log.exception("background delivery failed; left to the dispatcher")
            finally:
                pending.task_done()

    def release_stale(self) -> int:
        """Messages left in `sending` by a dispatcher that died go back to the queue."""
        now = to_db(self.clock.now())
        with transaction(self.factory) as s:
            return s.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.status == "sending",
                    OutboundMessage.updated_at < now - STALE_SENDING,
                )
                .values(status="retry", next_attempt_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount

    def dispatch_due(self, limit: int = 500) -> int:
        """Send what is due now, one message at a time, until nothing is due or `limit`
        messages were attempted; several dispatchers can run this side by side. Returns how
        many were attempted."""
        self.release_stale()
        count = misses = 0
        while count < limit and misses < 3:
            due = or_(
                OutboundMessage.next_attempt_at.is_(None),
                OutboundMessage.next_attempt_at <= to_db(self.clock.now()),
            )
            claimed = self._claim(due)
            if claimed is None:
                # nothing due, or (SQLite) a concurrent dispatcher took the one we read
                misses += 1
                if not self._any_due():
                    break
                continue
            misses = 0
            self._send(claimed)
            count += 1
        return count

    def _any_due(self) -> bool:
        now = to_db(self.clock.now())
        with self.factory() as s:
            return (
                s.execute(
                    select(OutboundMessage.id)
                    .where(
                        OutboundMessage.status.in_(("queued", "retry")),
                        or_(
                            OutboundMessage.next_attempt_at.is_(None),
                            OutboundMessage.next_attempt_at <= now,
                        ),
                    )
                    .limit(1)
                ).first()
                is not None
            )


_START_LOCK = threading.Lock()


def to_workers(
    session: Session, workers: Iterable[Worker], body: str, now: datetime, key: str
) -> list[int]:
    """Queue `body` to each health worker on WhatsApp (kind "alert"; the SMS fallback is the
    outbox's), once per worker: `key` names the message, "{worker}" in it the worker's id.
    The one way every alert, notice and update reaches the workers."""
    return [
        queue(
            session,
            key=key.replace("{worker}", str(w.id)),
            to_phone=w.phone,
            channel="whatsapp",
            body=body,
            now=now,
            kind="alert",
        ).id
        for w in workers
    ]


def mark_opted_out(session: Session, contact_id: int, now: datetime) -> None:
    contact = session.get(Contact, contact_id)
    if contact is not None and not contact.opted_out:
        contact.opted_out = True
        contact.opted_out_at = to_db(now)


def record_status(
    session: Session,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: datetime,
    outbound_id: int | None = None,
) -> str:
    """Apply a Twilio status callback; returns 'updated', 'ignored' or 'unknown'.

    `outbound_id` comes from the callback URL of a reply sent in TwiML: its first callback
    gives that row the SID Twilio created for it."""
    msg = session.execute(
        select(OutboundMessage).where(OutboundMessage.provider_message_id == provider_id)
    ).scalar_one_or_none()
    if msg is None and outbound_id is not None:
        msg = session.get(OutboundMessage, outbound_id)
        if msg is None or msg.provider_message_id is not None:
            return "unknown"
        msg.provider_message_id = provider_id
    if msg is None:
        return "unknown"
    if (
        status not in RANK
        or RANK[status] <= RANK.get(msg.status, 0)
        or msg.status in FINAL - {"delivered"}
    ):
        return "ignored"
    msg.status = status
    msg.updated_at = to_db(now)
    if error_code:
        msg.error_code = error_code
        msg.last_error = f"twilio error {error_code}"
        if error_code in OPTED_OUT_CODES and msg.contact_id:
            mark_opted_out(session, msg.contact_id, now)
    return "updated"
