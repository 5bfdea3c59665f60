"""Answers in the webhook's TwiML response (the default): no Twilio API call while Twilio
waits; alerts to health workers go through the API from the background sender."""

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.models import OutboundMessage
from tests.test_twilio_webhook import PHONE, PUBLIC, inbound, post


@pytest.fixture
def tclient(twiml_app):
    return twiml_app.test_client()


def messages(resp) -> list[ET.Element]:
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    root = ET.fromstring(resp.data)
    assert root.tag == "Response"
    return root.findall("Message")


def rows(app, *where) -> list[OutboundMessage]:
    with app.extensions["jemput_bola"].session_factory() as s:
        query = select(OutboundMessage).where(*where).order_by(OutboundMessage.id)
        return list(s.execute(query).scalars())


def test_the_answer_is_in_the_twiml_and_no_api_call_is_made(tclient, twiml_app, twilio):
    resp = post(tclient, "/twilio/inbound", inbound("halo"))
    found = messages(resp)
    assert len(found) == 1
    assert "Halo" in found[0].text or "halo" in found[0].text.lower()
    twiml_app.extensions["jemput_bola"].outbox.wait_idle()
    assert twilio.requests == []
    (row,) = rows(twiml_app)
    assert row.status == "sent" and row.sent_at is not None and row.provider_message_id is None
    assert row.body == found[0].text
    action = urlsplit(found[0].get("action"))
    assert f"{action.scheme}://{action.netloc}" == PUBLIC and action.path == "/twilio/status"
    assert parse_qs(action.query) == {"ob": [str(row.id)]}


def test_the_status_callback_of_a_twiml_answer_gives_its_row_the_sid(tclient, twiml_app):
    action = messages(post(tclient, "/twilio/inbound", inbound("halo")))[0].get("action")
    path = urlsplit(action).path + "?" + urlsplit(action).query
    sid = "SM" + "f" * 32
    assert post(tclient, path, {"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 204
    (row,) = rows(twiml_app)
    assert row.provider_message_id == sid and row.status == "delivered"
    # later callbacks find it by its SID, and a forged id cannot take another row's SID
    assert post(tclient, path, {"MessageSid": sid, "MessageStatus": "read"}).status_code == 204
    assert rows(twiml_app)[0].status == "read"
    other = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "failed"}
    assert post(tclient, path, other).status_code == 204
    assert rows(twiml_app)[0].provider_message_id == sid and rows(twiml_app)[0].status == "read"


def test_a_callback_url_with_a_bad_row_id_is_ignored(tclient, twiml_app):
    messages(post(tclient, "/twilio/inbound", inbound("halo")))
    for ob in ("abc", "99999999", "²", "9" * 40, ""):
        path = f"/twilio/status?ob={ob}"
        params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "delivered"}
        assert post(tclient, path, params).status_code == 204
    assert rows(twiml_app)[0].status == "sent"


def test_an_emergency_is_answered_in_twiml_and_alerts_go_through_the_api(
    tclient, twiml_app, twilio
):
    resp = post(tclient, "/twilio/inbound", inbound("tolong anak saya kejang kejang"))
    answers = [m.text for m in messages(resp)]
    assert any("119" in text for text in answers), answers
    assert twiml_app.extensions["jemput_bola"].outbox.wait_idle()
    alerts = rows(twiml_app, OutboundMessage.kind == "alert")
    assert alerts and all(a.status == "sent" and a.provider_message_id for a in alerts)
    assert {r["To"] for r in twilio.sent} == {f"whatsapp:{a.to_phone}" for a in alerts}
    assert all(r["To"] != f"whatsapp:{PHONE}" for r in twilio.sent)  # the answer was TwiML


def test_a_repeated_webhook_repeats_only_the_answers_twilio_never_confirmed(tclient, twiml_app):
    """Twilio sends a webhook again only when it did not get our response: the answers are
    then sent again, once; after their status callback, a repeat gets an empty response."""
    params = inbound("halo")
    (first,) = messages(post(tclient, "/twilio/inbound", params))
    (again,) = messages(post(tclient, "/twilio/inbound", params))
    assert again.text == first.text and again.get("action") == first.get("action")
    assert len(rows(twiml_app)) == 1
    action = urlsplit(first.get("action"))
    callback = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent"}
    assert post(tclient, f"{action.path}?{action.query}", callback).status_code == 204
    assert messages(post(tclient, "/twilio/inbound", params)) == []
    assert len(rows(twiml_app)) == 1


def test_an_sms_answer_to_a_whatsapp_contact_goes_through_the_api(tclient, twiml_app, twilio):
    """TwiML answers on the channel Twilio called; a contact known on WhatsApp who writes by
    SMS is answered on WhatsApp, which only the API can do."""
    messages(post(tclient, "/twilio/inbound", inbound("halo")))
    resp = post(tclient, "/twilio/inbound", inbound("menu", sid="SM" + "b" * 32, sender=PHONE))
    assert messages(resp) == []
    assert twiml_app.extensions["jemput_bola"].outbox.wait_idle()
    assert [r["To"] for r in twilio.sent] == [f"whatsapp:{PHONE}"]


def test_xml_characters_in_an_answer_are_escaped(tclient, twiml_app, monkeypatch):
    import flows.router

    def echo(state, msg, ctx):
        from flows.base import Step

        return Step(state, ("<b>&'\"</b>",), ())

    monkeypatch.setattr(flows.router, "route", echo)
    (found,) = messages(post(tclient, "/twilio/inbound", inbound("halo")))
    assert found.text == "<b>&'\"</b>"
