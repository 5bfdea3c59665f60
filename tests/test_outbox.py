"""The outbox with the real twilio client against the local fake server."""

from datetime import timedelta

from sqlalchemy import select

from bot import outbox
from bot.clock import to_db
from bot.db import transaction
from bot.models import Contact, OutboundMessage


def queue_one(rt, key="k1", phone="+6281234567890", channel="whatsapp"):
    with transaction(rt.session_factory) as s:
        contact = Contact(phone=phone, channel=channel, created_at=to_db(rt.clock.now()))
        s.add(contact)
        s.flush()
        msg = outbox.queue(
            s,
            key=key,
            to_phone=phone,
            channel=channel,
            body="Pengingat imunisasi",
            now=rt.clock.now(),
            kind="reminder",
            contact_id=contact.id,
        )
        again = outbox.queue(
            s, key=key, to_phone=phone, channel=channel, body="x", now=rt.clock.now()
        )
        assert again.id == msg.id
        return msg.id


def row(rt, msg_id):
    with rt.session_factory() as s:
        return s.get(OutboundMessage, msg_id)


def test_retries_with_backoff_after_5xx_then_sends_once(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_one(rt)
    twilio.fail_next(2, status=500, code=20500)
    assert rt.outbox.dispatch_due() == 1
    first = row(rt, msg_id)
    assert first.status == "retry" and first.attempts == 1
    assert rt.outbox.dispatch_due() == 0  # not due yet
    rt.clock.advance(seconds=30)
    rt.outbox.dispatch_due()
    second = row(rt, msg_id)
    assert second.status == "retry" and second.attempts == 2
    assert second.next_attempt_at - to_db(rt.clock.now()) == timedelta(seconds=60)
    rt.clock.advance(seconds=60)
    rt.outbox.dispatch_due()
    assert row(rt, msg_id).status == "sent"  # handed to Twilio
    assert len(twilio.sent) == 1
    assert rt.outbox.dispatch_due() == 0


def test_permanent_error_is_not_retried(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_one(rt)
    twilio.fail_next(1, status=400, code=21211)
    rt.outbox.dispatch_due()
    failed = row(rt, msg_id)
    assert failed.status == "failed" and failed.error_code == "21211"
    rt.clock.advance(hours=1)
    assert rt.outbox.dispatch_due() == 0


def test_21610_opts_the_contact_out(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_one(rt)
    twilio.fail_next(1, status=400, code=21610)
    rt.outbox.dispatch_due()
    with rt.session_factory() as s:
        contact = s.execute(select(Contact)).scalar_one()
        assert contact.opted_out and contact.opted_out_at is not None
    assert row(rt, msg_id).status == "failed"


def test_rate_limit_63018_is_retried(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_one(rt)
    twilio.fail_next(1, status=429, code=63018)
    rt.outbox.dispatch_due()
    assert row(rt, msg_id).status == "retry"


def test_gives_up_after_max_attempts(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_one(rt)
    twilio.fail_always = (503, 20503)
    for _ in range(10):
        rt.outbox.dispatch_due()
        rt.clock.advance(hours=2)
    final = row(rt, msg_id)
    assert final.status == "failed"
    assert final.attempts == rt.settings["sending"]["max_attempts"]


def test_message_stuck_in_sending_is_retried_after_a_crash(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_one(rt)
    with transaction(rt.session_factory) as s:  # a dispatcher died after claiming it
        s.get(OutboundMessage, msg_id).status = "sending"
    assert rt.outbox.dispatch_due() == 0
    rt.clock.advance(minutes=6)
    assert rt.outbox.dispatch_due() == 1
    assert len(twilio.sent) == 1


def test_claimed_message_is_not_sent_twice(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_one(rt)
    assert rt.outbox.deliver(msg_id) is not None
    assert rt.outbox.deliver(msg_id) is None
    assert len(twilio.sent) == 1


def test_dispatch_command(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    queue_one(rt)
    result = twilio_app.test_cli_runner().invoke(args=["outbox", "dispatch"])
    assert "1 message(s) attempted" in result.output
    assert len(twilio.sent) == 1
