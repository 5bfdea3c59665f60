"""No 500, nothing lost: odd input gets a clear 4xx or is stored and answered; a transient
database error retries the transaction once; nothing after the commit turns a stored message
into a 500. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from bot import pipeline
from bot.models import InboundMessage, OutboundMessage
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.dashboard_fixtures import *  # noqa: F403
from tests.dashboard_fixtures import csrf_of, login
from tests.test_twilio_webhook import PUBLIC, inbound

PHONE = "+6281234567890"


def stored(app, *where) -> list[InboundMessage]:
    with app.extensions["jemput_bola"].session_factory() as s:
        return list(s.execute(select(InboundMessage).where(*where)).scalars())


def outbound_count(app) -> int:
    with app.extensions["jemput_bola"].session_factory() as s:
        return s.execute(select(func.count()).select_from(OutboundMessage)).scalar_one()


def signed(client, path, params, raw: bytes | None = None, content_type=None):
    """POST `params` signed like Twilio does (over the decoded values); `raw` replaces the body
    (the signature is still computed over `params`, i.e. what the server decodes)."""
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, MultiDict(params))
    body = raw if raw is not None else urlencode(params, doseq=True)
    return client.post(
        path,
        data=body,
        headers={"X-Twilio-Signature": sig},
        content_type=content_type or "application/x-www-form-urlencoded",
    )


@pytest.fixture
def tclient(twilio_app):
    return twilio_app.test_client()


# ------------------------------------------------------------------ simulator: bad input -> 400

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        pytest.param(DEEP, "JSON", id="nested-5000"),
        pytest.param('{"from": ' + DEEP + "}", "JSON", id="nested-in-from"),
        ('{"from": "+6281234567890", "text": "halo", "id": "SIM\\u0000x"}', "id"),
        ('{"from": "+6281234567890", "text": "halo", "id": "SIM\\ud800"}', "id"),
        ('{"from": "+6281234567890", "text": "halo", "id": "two words"}', "id"),
        ('{"from": "+6281234567890", "text": "halo", "id": 7}', "id"),
        ('{"from": "+62812\\u00003456\\u00007890", "text": "halo"}', "from"),
        ('{"from": "\\ud800", "text": "halo"}', "from"),
        ('{"from": ["+6281234567890"], "text": "halo"}', "from"),
        ('{"from": "+6281234567890", "text": {"a": 1}}', "text"),
        ('{"from": "+6281234567890", "text": "halo"', "JSON"),
        (b'{"from": "+6281234567890", "text": "\xff\xfe"}', "JSON"),
    ],
)
def test_bad_simulator_input_is_a_clear_400(client, app, raw, error):
    resp = client.post("/simulator/send", data=raw, content_type="application/json")
    assert resp.status_code == 400
    assert error in resp.get_json()["error"]
    assert stored(app) == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("halo \ud800", "halo \ufffd"),  # a lone surrogate: cannot be encoded as UTF-8
        ("\udfff\ud800", "\ufffd\ufffd"),
        ("halo\x00 bu", "halo bu"),
        ("anak\x1b[31m saya\x07 demam", "anak[31m saya demam"),
        ("baris satu\r\nbaris dua\rtiga\tempat", "baris satu\nbaris dua\ntiga\tempat"),
        ("\x85\x9f\x7fmenu", "menu"),
        ("😀 \U0001f600", "😀 \U0001f600"),
        ("anak \u202eganjek\u202c saya", "anak ganjek saya"),  # bidi override: shown reversed
        ("kej\u200bang\u2060 \ufeffbu", "kejang bu"),  # invisible word breakers
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # joiners stay: a family emoji
    ],
)
def test_odd_simulator_text_is_cleaned_stored_and_answered(client, app, text, kept):
    resp = client.post("/simulator/send", json={"from": PHONE, "text": text, "id": "SIM-odd-1"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["replies"]
    (row,) = stored(app)
    assert row.body == kept
    assert row.status in ("processed", "ignored")


def test_a_failing_flow_still_stores_a_lone_surrogate(client, app, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("flow bug")

    monkeypatch.setattr(pipeline.router, "route", broken)
    resp = client.post("/simulator/send", json={"from": PHONE, "text": "tolong \ud800"})
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "error"
    (row,) = stored(app)
    assert row.status == "error" and row.body == "tolong \ufffd"


def test_text_reaches_the_nlu_cleaned(client, app, monkeypatch):
    seen = []
    rt = app.extensions["jemput_bola"]
    real = rt.nlu.parse

    class Spy:
        backend = rt.nlu.backend

        def parse(self, text, **kw):
            seen.append(text)
            return real(text, **kw)

    rt.nlu = Spy()
    client.post("/simulator/send", json={"from": PHONE, "text": "anak\x00 saya \ud800 demam\x1b"})
    assert seen == ["anak saya \ufffd demam"]


# --------------------------------------------------------- simulator history: bad ?after= -> 400


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("after=" + "9" * 30, 400),
        ("after=-1", 400),
        ("after=1.5", 400),
        ("after=%C2%B2", 400),  # '²' is a digit to str.isdigit(), not to int()
        ("after=%00", 400),
        ("after=abc", 400),
        ("after=", 200),
        ("after=0", 200),
        ("after=" + "9" * 18, 200),
        ("phone=%00", 400),
        ("phone=" + "1" * 5000, 400),
    ],
)
def test_message_history_query(client, query, status):
    if not query.startswith("phone="):
        query = "phone=081234567890&" + query
    resp = client.get(f"/simulator/messages?{query}")
    assert resp.status_code == status, resp.get_data(as_text=True)
    if status == 400:
        assert resp.get_json()["error"]


# -------------------------------------------------------------- Twilio webhooks: odd form data


@pytest.mark.parametrize(
    ("params", "status"),
    [
        (inbound(sid="SM\x00" + "a" * 31), 400),  # NUL: PostgreSQL refuses it in a string
        (inbound(sid="SM a"), 400),
        (inbound(sid="SM" + "a" * 70), 400),  # longer than the column; never truncated
        (inbound(sid="SMé" + "a" * 31), 400),
        (inbound(sid=""), 400),
        (inbound(sender="whatsapp:+62812\x003456\x007890"), 200),  # acknowledged, not stored
        (inbound(sender="x" * 5000), 200),
        (inbound(sender="whatsapp:"), 200),
    ],
)
def test_odd_inbound_ids_and_senders(tclient, twilio_app, params, status):
    resp = signed(tclient, "/twilio/inbound", params)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert stored(twilio_app) == []


@pytest.mark.parametrize(
    ("params", "kept"),
    [
        (inbound("halo\x00\x00 bu"), "halo bu"),
        (inbound("a\x1b\x7f\x9fb\r\nc"), "ab\nc"),
        (inbound("\ufffd\ufffe\uffff"), "\ufffd\ufffe\uffff"),
        (inbound("x" * 30_000), "x" * 20_000),
        (inbound(None, ButtonPayload="menu\x00"), "menu"),
        (inbound("halo", MessageSid=["SM" + "a" * 32, "SM" + "b" * 32]), "halo"),
        (inbound(["menu", "halo"]), "menu"),
        (inbound("halo", Extra="\x00" * 10, NumMedia="lots"), "halo"),
    ],
)
def test_odd_inbound_body_is_cleaned_stored_and_answered(tclient, twilio_app, twilio, params, kept):
    resp = signed(tclient, "/twilio/inbound", params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    (row,) = stored(twilio_app)
    assert row.body == kept
    assert twilio.sent


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("%FF+halo", "%FF halo"),  # not UTF-8: werkzeug keeps the escapes as text
        ("%ED%A0%80", "%ED%A0%80"),  # an encoded surrogate
        ("%C3%A9%E2%82%AC", "é€"),
    ],
)
def test_undecodable_bytes_in_a_signed_form(tclient, twilio_app, encoded, decoded):
    params = inbound(decoded)
    raw = urlencode({k: v for k, v in params.items() if k != "Body"}) + "&Body=" + encoded
    assert signed(tclient, "/twilio/inbound", params, raw=raw.encode()).status_code == 200
    assert stored(twilio_app)[0].body == decoded


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps(inbound()), "application/json"),
        (b"\x00\xff" * 50, "application/octet-stream"),
        (b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
        (b"&&&===&&", "application/x-www-form-urlencoded"),
    ],
)
def test_inbound_that_is_not_a_form_is_a_4xx(tclient, twilio_app, body, content_type):
    resp = signed(tclient, "/twilio/inbound", {}, raw=body, content_type=content_type)
    assert 400 <= resp.status_code < 500
    assert stored(twilio_app) == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"MessageSid": "SM\x00x", "MessageStatus": "delivered"}, 400),
        ({"MessageSid": "SM" + "a" * 70, "MessageStatus": "delivered"}, 400),
        ({"MessageSid": "SMok", "MessageStatus": "delivered\x00"}, 204),
        ({"MessageSid": "SMok", "MessageStatus": "failed", "ErrorCode": "21610\x00"}, 204),
        ({"MessageSid": "SMok", "MessageStatus": "failed", "ErrorCode": "x" * 500}, 204),
        ({"MessageSid": "SMok", "MessageStatus": "ü" * 500}, 204),
        ({"MessageStatus": "delivered"}, 400),
    ],
)
def test_odd_status_callbacks(tclient, params, status):
    resp = signed(tclient, "/twilio/status", {"AccountSid": ACCOUNT_SID, **params})
    assert resp.status_code == status


def test_status_with_a_bad_error_code_still_moves_the_message(tclient, twilio_app, twilio):
    assert signed(tclient, "/twilio/inbound", inbound("halo")).status_code == 200
    sid = twilio.sent[0]["_sid"]
    params = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "63016\x00<script>"}
    assert signed(tclient, "/twilio/status", params).status_code == 204
    with twilio_app.extensions["jemput_bola"].session_factory() as s:
        msg = s.execute(select(OutboundMessage).where(OutboundMessage.id == 1)).scalar_one()
    assert msg.status == "failed" and msg.error_code is None


# ----------------------------------------------------- database faults and after-commit failures


def dropped_connection() -> OperationalError:
    return OperationalError(
        "COMMIT", {}, Exception("server closed the connection unexpectedly"), True
    )


@pytest.fixture
def failing_commits(monkeypatch):
    """Make the next `n` commits raise a dropped-connection error."""
    state = {"left": 0, "raised": 0}
    real = Session.commit

    def commit(self):
        if state["left"] > 0:
            state["left"] -= 1
            state["raised"] += 1
            self.rollback()
            raise dropped_connection()
        return real(self)

    monkeypatch.setattr(Session, "commit", commit)
    return state


def test_a_dropped_connection_retries_the_transaction_once(
    tclient, twilio_app, twilio, failing_commits
):
    failing_commits["left"] = 1
    resp = signed(tclient, "/twilio/inbound", inbound("halo"))
    assert resp.status_code == 200
    assert failing_commits["raised"] == 1
    (row,) = stored(twilio_app)
    assert row.status == "processed"
    assert len(twilio.sent) == 1
    assert signed(tclient, "/twilio/inbound", inbound("halo")).status_code == 200
    assert len(stored(twilio_app)) == 1 and len(twilio.sent) == 1  # still idempotent


def test_a_database_that_stays_down_is_a_503_not_a_500(tclient, twilio_app, failing_commits):
    failing_commits["left"] = 100
    resp = signed(tclient, "/twilio/inbound", inbound("halo"))
    assert resp.status_code == 503
    assert resp.headers.get("Retry-After")
    failing_commits["left"] = 0
    assert signed(tclient, "/twilio/inbound", inbound("halo")).status_code == 200  # Twilio retry
    assert len(stored(twilio_app)) == 1


def test_status_callback_retries_a_dropped_connection(tclient, twilio_app, twilio, failing_commits):
    signed(tclient, "/twilio/inbound", inbound("halo"))
    failing_commits["left"] = 1
    params = {"MessageSid": twilio.sent[0]["_sid"], "MessageStatus": "delivered"}
    assert signed(tclient, "/twilio/status", params).status_code == 204
    with twilio_app.extensions["jemput_bola"].session_factory() as s:
        assert s.execute(select(OutboundMessage.status)).scalar_one() == "delivered"


def test_a_commit_that_happened_before_the_connection_dropped_is_not_repeated(
    client, app, monkeypatch
):
    """The commit reached the database, then the connection broke: the retry finds the
    MessageSid and stores nothing twice."""
    real = Session.commit
    state = {"done": False}

    def commit(self):
        real(self)
        if not state["done"] and stored(app):
            state["done"] = True
            raise dropped_connection()

    monkeypatch.setattr(Session, "commit", commit)
    resp = client.post("/simulator/send", json={"from": PHONE, "text": "halo", "id": "SIM-once"})
    assert resp.status_code == 200
    assert len(stored(app)) == 1
    assert outbound_count(app) == 1


@pytest.mark.parametrize("broken", ["deliver", "replan"])
def test_nothing_after_the_commit_turns_a_stored_message_into_a_500(
    tclient, twilio_app, twilio, monkeypatch, broken
):
    rt = twilio_app.extensions["jemput_bola"]

    def boom(*_args, **_kwargs):
        raise RuntimeError(f"{broken} failed")

    if broken == "deliver":
        monkeypatch.setattr(rt.outbox, "deliver_many", boom)
    else:
        monkeypatch.setattr(pipeline, "_replan", boom)
    resp = signed(tclient, "/twilio/inbound", inbound("STOP"))
    assert resp.status_code == 200
    (row,) = stored(twilio_app)
    assert row.status == "processed"
    assert outbound_count(twilio_app) == 1  # the reply is in the outbox for the dispatcher


# ------------------------------------------------------------------- dashboard: odd input


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/dashboard/warga?q=%00", 400),  # NUL: PostgreSQL refuses it in a query parameter
        ("/dashboard/audit?pengguna=%00&aksi=%00&warga=%00", 400),
        ("/dashboard/warga?%00=1", 400),
        ("/dashboard/warga/99999999999999999999999", 404),  # SQLite: int too large
        ("/dashboard/laporan/99999999999999999999999", 404),
        ("/dashboard/warga?q=%ED%A0%80", 200),
        ("/dashboard/cakupan?tahun=99999999999999999999", 200),
    ],
)
def test_odd_dashboard_requests(dash_client, seed, path, status):
    login(dash_client, "admin")
    assert dash_client.get(path).status_code == status


def test_a_nul_in_the_login_form_is_a_400(dash_client, seed):
    token = csrf_of(dash_client)
    data = {"username": "ad\x00min", "password": "x", "csrf_token": token}
    assert dash_client.post("/dashboard/masuk", data=data).status_code == 400
