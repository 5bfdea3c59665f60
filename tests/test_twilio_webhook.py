"""Twilio webhooks signed with the real RequestValidator; replies land in the fake Twilio."""

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.models import Contact, InboundMessage, OutboundMessage
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN

PUBLIC = "https://jemput.example.org"
PHONE = "+6281234567890"


def post(client, path, params, signature=None, token=AUTH_TOKEN):
    if signature is None:
        signature = RequestValidator(token).compute_signature(PUBLIC + path, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post(
        path,
        data=urlencode(params),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )


def inbound(body="halo", sid="SM" + "a" * 32, sender=f"whatsapp:{PHONE}", **extra):
    params = {
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": "whatsapp:+14155238886",
        "NumMedia": "0",
        **extra,
    }
    if body is not None:
        params["Body"] = body
    return params


def count(app, model, *where):
    rt = app.extensions["jemput_bola"]
    with rt.session_factory() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def tclient(twilio_app):
    return twilio_app.test_client()


def test_signed_webhook_reply_lands_in_fake_twilio(tclient, twilio_app, twilio):
    resp = post(tclient, "/twilio/inbound", inbound("halo", ProfileName="Sari"))
    assert resp.status_code == 200
    assert resp.mimetype == "text/xml"
    assert len(twilio.sent) == 1
    sent = twilio.sent[0]
    assert sent["To"] == f"whatsapp:{PHONE}"
    assert sent["From"] == "whatsapp:+14155238886"
    assert "Jemput Bola" in sent["Body"]
    assert sent["StatusCallback"] == PUBLIC + "/twilio/status"
    assert ACCOUNT_SID in sent["_path"]
    with twilio_app.extensions["jemput_bola"].session_factory() as s:
        out = s.execute(select(OutboundMessage)).scalar_one()
        assert out.status == "sent"  # handed to Twilio; status callbacks move it on
        assert out.provider_message_id == sent["_sid"]


@pytest.mark.parametrize(
    ("signature", "token"),
    [("", AUTH_TOKEN), ("bm90IGEgc2lnbmF0dXJl", AUTH_TOKEN), (None, "another-token")],
)
def test_bad_or_missing_signature_is_403_and_stores_nothing(
    tclient, twilio_app, twilio, signature, token
):
    resp = post(tclient, "/twilio/inbound", inbound(), signature=signature, token=token)
    assert resp.status_code == 403
    assert count(twilio_app, InboundMessage) == 0
    assert count(twilio_app, Contact) == 0
    assert twilio.requests == []


def test_signature_over_internal_url_fails_behind_proxy(tclient, twilio):
    params = inbound()
    sig = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/twilio/inbound", params)
    assert post(tclient, "/twilio/inbound", params, signature=sig).status_code == 403


def test_replayed_message_sid_is_processed_once(tclient, twilio_app, twilio):
    params = inbound("halo")
    assert post(tclient, "/twilio/inbound", params).status_code == 200
    assert post(tclient, "/twilio/inbound", params).status_code == 200
    assert count(twilio_app, InboundMessage) == 1
    assert len(twilio.sent) == 1


def test_missing_body_gets_a_clear_reply(tclient, twilio_app, twilio):
    resp = post(tclient, "/twilio/inbound", inbound(body=None, NumMedia="1"))
    assert resp.status_code == 200
    assert "pesan teks" in twilio.sent[0]["Body"]
    assert count(twilio_app, InboundMessage) == 1


def test_ten_thousand_character_body_is_stored_and_answered(tclient, twilio_app, twilio):
    body = ("anak saya demam tinggi dan batuk " * 400)[:10_000]
    resp = post(tclient, "/twilio/inbound", inbound(body))
    assert resp.status_code == 200
    with twilio_app.extensions["jemput_bola"].session_factory() as s:
        stored = s.execute(select(InboundMessage)).scalar_one()
        assert len(stored.body) == 10_000
    assert twilio.sent, "no reply sent"
    assert "sangat panjang" in twilio.sent[0]["Body"]
    assert all(len(r["Body"]) <= 1600 for r in twilio.sent)


def test_sms_inbound_is_answered_by_sms(tclient, twilio):
    resp = post(tclient, "/twilio/inbound", inbound("menu", sender="+14155550100"))
    assert resp.status_code == 200
    assert twilio.sent[0]["To"] == "+14155550100"
    assert twilio.sent[0]["From"] == "+15005550006"


@pytest.mark.parametrize(
    "params",
    [
        {"From": f"whatsapp:{PHONE}", "Body": "halo"},  # no MessageSid
        {"MessageSid": "SM" + "b" * 32, "Body": "halo"},  # no From
    ],
)
def test_malformed_webhook_is_400_not_500(tclient, params):
    assert post(tclient, "/twilio/inbound", params).status_code == 400


def test_invalid_sender_number_is_acknowledged_without_reply(tclient, twilio_app, twilio):
    resp = post(tclient, "/twilio/inbound", inbound(sender="whatsapp:+62"))
    assert resp.status_code == 200
    assert twilio.requests == []


def test_stop_opts_out_and_confirms(tclient, twilio_app, twilio):
    post(tclient, "/twilio/inbound", inbound("STOP", sid="SM" + "c" * 32))
    assert count(twilio_app, Contact, Contact.opted_out.is_(True)) == 1
    assert "berhenti berlangganan" in twilio.sent[0]["Body"]
    post(tclient, "/twilio/inbound", inbound("halo", sid="SM" + "d" * 32))
    assert len(twilio.sent) == 1  # nothing more until MULAI


def status(tclient, sid, value, code=None):
    params = {"MessageSid": sid, "MessageStatus": value, "AccountSid": ACCOUNT_SID}
    if code:
        params["ErrorCode"] = code
    return post(tclient, "/twilio/status", params)


def out_status(app):
    with app.extensions["jemput_bola"].session_factory() as s:
        return s.execute(select(OutboundMessage)).scalar_one()


def test_status_moves_forward_only(tclient, twilio_app, twilio):
    post(tclient, "/twilio/inbound", inbound("halo"))
    sid = twilio.sent[0]["_sid"]
    assert status(tclient, sid, "delivered").status_code == 204
    assert status(tclient, sid, "sent").status_code == 204  # late, out of order
    assert out_status(twilio_app).status == "delivered"
    status(tclient, sid, "read")
    status(tclient, sid, "read")
    assert out_status(twilio_app).status == "read"


def test_status_21610_marks_contact_opted_out(tclient, twilio_app, twilio):
    post(tclient, "/twilio/inbound", inbound("halo"))
    sid = twilio.sent[0]["_sid"]
    status(tclient, sid, "failed", "21610")
    msg = out_status(twilio_app)
    assert msg.status == "failed" and msg.error_code == "21610"
    assert count(twilio_app, Contact, Contact.opted_out.is_(True)) == 1


def test_status_for_unknown_message_is_ignored(tclient):
    assert status(tclient, "SM" + "f" * 32, "delivered").status_code == 204


def test_unsigned_status_is_403(tclient):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert post(tclient, "/twilio/status", params, signature="").status_code == 403


def test_an_opted_out_residents_emergency_over_whatsapp_gets_advice_and_an_alert(
    tclient, twilio_app, twilio
):
    """The same safety net as the simulator: STOP never silences a danger sign."""
    assert post(tclient, "/twilio/inbound", inbound("STOP", sid="SM" + "1" * 32)).status_code == 200
    sent_before = len(twilio.sent)
    emergency = inbound("tolong anak saya kejang kejang", sid="SM" + "2" * 32)
    assert post(tclient, "/twilio/inbound", emergency).status_code == 200
    to_resident = [m["Body"] for m in twilio.sent[sent_before:] if m["To"] == f"whatsapp:{PHONE}"]
    assert any("119" in body for body in to_resident), to_resident
    with twilio_app.extensions["jemput_bola"].session_factory() as s:
        contact = s.execute(select(Contact).where(Contact.phone == PHONE)).scalar_one()
        assert contact.opted_out  # nothing else changes
        alerts = (
            s.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert"))
            .scalars()
            .all()
        )
        assert alerts, "the emergency alert went to the workers"
    # the village question is part of getting help; once answered, silence again
    assert post(tclient, "/twilio/inbound", inbound("1", sid="SM" + "4" * 32)).status_code == 200
    sent_before = len(twilio.sent)
    assert post(tclient, "/twilio/inbound", inbound("halo", sid="SM" + "3" * 32)).status_code == 200
    assert [m for m in twilio.sent[sent_before:] if m["To"] == f"whatsapp:{PHONE}"] == []
