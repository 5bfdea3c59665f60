"""Fuzzing the three public entry points with hypothesis (bounded, part of the suite): signed
Twilio webhooks, status callbacks and the simulator never answer 5xx, and every inbound message
they accept is stored. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import itertools
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from bot.models import OUTBOUND_STATUSES, InboundMessage, OutboundMessage
from bot.phones import to_e164
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.test_twilio_webhook import PUBLIC

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,  # no example database: every run draws fresh examples
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_serial = itertools.count(1)

PHONES = ["+6281234567890", "081234567891", "6281234567892", "+6281100000001", "+14155550100"]
WORDS = ["halo", "menu", "STOP", "MULAI", "1", "ya", "daftar", "anak saya demam", "TERIMA 100001"]
ODD = ["\x00", "\x07", "\x1b[2J", "\r\n", "\r", "\t", "\u202e", "\ufeff", "\ufffd", "\uffff",
       "😀", "\u200d", "%00", "<script>", "' OR 1=1 --", "\\", '"', "\n" * 3]  # fmt: skip
# lone halves (also a pair in the wrong order) and a proper pair, which JSON joins into 😀
SURROGATES = ["\ud800", "\udfff", "\udc00\udbff", "\ud83d\ude00"]


def texts(surrogates: bool) -> st.SearchStrategy[str]:
    """Message-like text: real words, arbitrary unicode and the odd characters above."""
    pieces = [st.sampled_from(WORDS), st.sampled_from(ODD), st.text(max_size=30)]
    if surrogates:  # JSON can carry a lone surrogate; a UTF-8 form cannot
        pieces.append(st.sampled_from(SURROGATES))
    parts = st.lists(st.one_of(*pieces), max_size=8).map(" ".join)
    return st.one_of(parts, st.just("x" * 12_000), st.text(max_size=200))


def ids() -> st.SearchStrategy[str]:
    """Mostly fresh well-formed ids, sometimes anything."""
    fresh = st.builds(lambda: f"FZ{next(_serial):030d}")
    return st.one_of(fresh, fresh, fresh, st.text(max_size=80), st.sampled_from(["", "SM1"]))


def senders(prefix: bool) -> st.SearchStrategy[str]:
    known = st.sampled_from(PHONES)
    if prefix:
        known = st.one_of(known, known.map(lambda p: f"whatsapp:{p}"))
    return st.one_of(known, known, st.text(max_size=40), st.just("x" * 5000))


def count_inbound(app, *where) -> int:
    with app.extensions["jemput_bola"].session_factory() as s:
        query = select(func.count()).select_from(InboundMessage).where(*where)
        return s.execute(query).scalar_one()


def sign(client, path, params: MultiDict, valid: bool = True):
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, params)
    return client.post(
        path,
        data=urlencode(list(params.items(multi=True))),
        headers={"X-Twilio-Signature": sig if valid else sig[::-1]},
        content_type="application/x-www-form-urlencoded",
    )


@pytest.fixture
def tclient(twilio_app):
    return twilio_app.test_client()


form_text = texts(surrogates=False)
extra_fields = st.dictionaries(
    st.sampled_from(["Body", "From", "MessageSid", "ButtonPayload", "NumMedia", "ProfileName"])
    | st.text(min_size=1, max_size=10),
    form_text,
    max_size=3,
)


@FUZZ
@given(
    sid=ids(),
    sender=senders(prefix=True),
    body=st.none() | form_text,
    extra=extra_fields,
    valid=st.sampled_from([True, True, True, False]),
)
def test_fuzz_twilio_inbound(tclient, twilio_app, sid, sender, body, extra, valid):
    params = MultiDict({"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender})
    if body is not None:
        params.add("Body", body)
    for key, value in extra.items():
        params.add(key, value)
    resp = sign(tclient, "/twilio/inbound", params, valid)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if not valid:
        assert resp.status_code == 403
        return
    sid = params.get("MessageSid") or params.get("SmsMessageSid")  # the first values count
    if resp.status_code == 200 and to_e164(params.get("From")) is not None:
        assert count_inbound(twilio_app, InboundMessage.provider_message_id == sid) == 1


@FUZZ
@given(
    sid=st.one_of(st.just("sent"), ids()),
    status=st.sampled_from(sorted({*OUTBOUND_STATUSES, "READ", "Delivered"})) | form_text,
    code=st.none() | st.sampled_from(["21610", "63016", "30003"]) | form_text,
)
def test_fuzz_twilio_status(tclient, twilio_app, twilio, sid, status, code):
    if not twilio.sent:
        params = MultiDict({"MessageSid": "SM" + "a" * 32, "From": "whatsapp:+6281234567890"})
        params.update({"Body": "halo", "AccountSid": ACCOUNT_SID})
        assert sign(tclient, "/twilio/inbound", params).status_code == 200
    if sid == "sent":
        sid = twilio.sent[0]["_sid"]
    params = MultiDict({"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID})
    if code is not None:
        params.add("ErrorCode", code)
    resp = sign(tclient, "/twilio/status", params)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    with twilio_app.extensions["jemput_bola"].session_factory() as s:
        for row in s.execute(select(OutboundMessage.status, OutboundMessage.error_code)):
            assert row.status in OUTBOUND_STATUSES
            assert row.error_code is None or row.error_code.isdigit()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts(surrogates=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@FUZZ
@given(
    sender=senders(prefix=False) | json_values,
    text=texts(surrogates=True) | json_values,
    msg_id=st.none() | ids() | json_values,
    raw=st.none() | st.binary(max_size=200) | st.just(b"[" * 3000 + b"]" * 3000),
)
def test_fuzz_simulator(client, app, sender, text, msg_id, raw):
    if raw is not None:
        resp = client.post("/simulator/send", data=raw, content_type="application/json")
        assert resp.status_code < 500
        return
    payload = {"from": sender, "text": text}
    if msg_id is not None:
        payload["id"] = msg_id
    before = count_inbound(app)
    body = json.dumps(payload)  # lone surrogates travel as \\ud800 escapes
    resp = client.post("/simulator/send", data=body, content_type="application/json")
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code != 200:
        assert resp.status_code == 400 and resp.get_json()["error"]
        return
    status = resp.get_json()["status"]
    if status in ("processed", "error"):
        assert count_inbound(app) == before + 1
        if msg_id is not None:
            assert count_inbound(app, InboundMessage.provider_message_id == msg_id) == 1
    else:
        assert status in ("duplicate", "invalid_sender")
        assert count_inbound(app) == before
    history = client.get("/simulator/messages", query_string={"phone": to_e164(sender)})
    assert history.status_code == 200
