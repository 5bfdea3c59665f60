"""WhatsApp templates outside the 24 h window, SMS fallback, sending rate, paused reminders."""

import json
from datetime import date, timedelta

from sqlalchemy import select

from bot import outbox
from bot.clock import to_db
from bot.db import transaction
from bot.models import Contact, OutboundMessage
from bot.outbox import RateLimiter
from scheduler import jobs
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_app
from tests.test_reminders import add_household, reminder_messages


def queue_to(rt, kind="reminder", last_inbound=None):
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        c = Contact(
            phone="+6281234560009",
            channel="whatsapp",
            created_at=to_db(now),
            last_inbound_at=to_db(last_inbound) if last_inbound else None,
        )
        s.add(c)
        s.flush()
        return outbox.queue(
            s,
            key="k-" + kind,
            to_phone=c.phone,
            channel="whatsapp",
            body="Pengingat: BCG untuk Bayi Sari",
            now=now,
            kind=kind,
            contact_id=c.id,
        ).id


def template_app(db_url, clock, nlu, twilio):
    return make_app(
        db_url,
        clock,
        nlu,
        **{
            "sending.backend": "twilio",
            "twilio.account_sid": ACCOUNT_SID,
            "twilio.auth_token": AUTH_TOKEN,
            "twilio.api_base_url": twilio.url,
            "sending.whatsapp_templates": {"reminder": "HX" + "1" * 32},
        },
    )


def test_reminder_outside_window_uses_the_template(db_url, clock, nlu, twilio):
    rt = template_app(db_url, clock, nlu, twilio).extensions["jemput_bola"]
    rt.outbox.deliver(queue_to(rt))
    sent = twilio.sent[0]
    assert sent["ContentSid"] == "HX" + "1" * 32
    assert json.loads(sent["ContentVariables"])["1"].startswith("Pengingat")
    assert "Body" not in sent


def test_reminder_inside_window_is_plain_text(db_url, clock, nlu, twilio):
    rt = template_app(db_url, clock, nlu, twilio).extensions["jemput_bola"]
    rt.outbox.deliver(queue_to(rt, last_inbound=clock.now() - timedelta(hours=2)))
    assert "ContentSid" not in twilio.sent[0] and twilio.sent[0]["Body"].startswith("Pengingat")


def test_not_on_whatsapp_falls_back_to_sms_once(twilio_app, twilio):
    rt = twilio_app.extensions["jemput_bola"]
    msg_id = queue_to(rt)
    twilio.fail_next(1, status=400, code=63003)
    rt.outbox.deliver(msg_id)
    assert [r["To"] for r in twilio.requests] == ["whatsapp:+6281234560009", "+6281234560009"]
    with rt.session_factory() as s:
        rows = s.execute(select(OutboundMessage).order_by(OutboundMessage.id)).scalars().all()
    assert [(r.channel, r.status) for r in rows] == [("whatsapp", "failed"), ("sms", "sent")]
    rt.clock.advance(hours=1)
    assert rt.outbox.dispatch_due() == 0


def test_rate_limiter_spaces_sends():
    waits, clock = [], [100.0]
    limiter = RateLimiter(
        {"sms": 2},
        sleep=lambda s: (waits.append(s), clock.__setitem__(0, clock[0] + s)),
        monotonic=lambda: clock[0],
    )
    for _ in range(3):
        limiter.wait("sms")
    limiter.wait("whatsapp")  # no rate configured: no wait
    assert waits == [0.5, 0.5]


def test_repeated_failures_pause_reminders_and_tell_the_kader(rt, clock):
    add_household(rt, date(2026, 11, 22), channel="whatsapp")
    with transaction(rt.session_factory) as s:
        contact = s.execute(select(Contact)).scalar_one()
        for i in range(3):
            m = outbox.queue(
                s, key=f"old{i}", to_phone=contact.phone, channel="whatsapp", body="x",
                now=clock.now(), contact_id=contact.id,
            )  # fmt: skip
            m.status = "failed"
    jobs.job_plan(rt)
    jobs.job_send_reminders(rt)
    assert reminder_messages(rt) == []
    with rt.session_factory() as s:
        alerts = (
            s.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert"))
            .scalars()
            .all()
        )
    assert alerts and "cek nomornya" in alerts[0].body
    assert alerts[0].to_phone == "+6281100000001"  # Kader Ani, dusun Kaler
