"""Security defaults: the simulator is closed unless in development or enabled for logged-in
staff; Secure session cookie behind HTTPS; X-Forwarded-* trusted only from configured proxies;
no phone number or free text in INFO logs (access logs included); login limit per IP address."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import urllib.request

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bot import logsafe
from bot.clock import to_db
from bot.config import ConfigError, load_settings, simulator_mode
from bot.dashboard.auth import hash_password
from bot.db import transaction
from bot.models import AuditLog, Contact, OutboundMessage, StaffUser
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_app
from tests.dashboard_fixtures import *  # noqa: F403
from tests.dashboard_fixtures import CSRF, PASSWORDS, csrf_of, login

TEST_PHONE = "+6281299990001"
KADER_PHONE = "+6281100000001"  # Kader Ani in district.yml
TWILIO = {
    "sending.backend": "twilio",
    "twilio.account_sid": ACCOUNT_SID,
    "twilio.auth_token": AUTH_TOKEN,
    "channels.public_base_url": "https://jemput.example.org",
}


# ------------------------------------------------------------------ simulator: closed by default


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({}, "open"),  # make run: the log sender, nothing leaves the machine
        ({"SIMULATOR_ENABLED": "true"}, "open"),
        ({"SIMULATOR_ENABLED": "false"}, "off"),
        ({"SIMULATOR_ENABLED": "0"}, "off"),
        ({"SENDER_BACKEND": "twilio"}, "off"),
        ({"SENDER_BACKEND": "twilio", "SIMULATOR_ENABLED": "auto"}, "off"),
        ({"SENDER_BACKEND": "twilio", "SIMULATOR_ENABLED": "true"}, "staff"),
        ({"SENDER_BACKEND": "twilio", "SIMULATOR_ENABLED": "1"}, "staff"),
        ({"SENDER_BACKEND": "twilio", "SIMULATOR_ENABLED": "false"}, "off"),
    ],
)
def test_simulator_mode(environ, mode):
    creds = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    assert simulator_mode(load_settings(environ={**creds, **environ})) == mode


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"SIMULATOR_ENABLED": "maybe"}, "channels.simulator"),
        ({"PROXY_HOPS": "-1"}, "web.proxy_hops"),
        ({"PROXY_HOPS": "9"}, "web.proxy_hops"),
        ({"PROXY_HOPS": "one"}, "web.proxy_hops"),
    ],
)
def test_bad_security_setting_names_the_key(environ, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(environ=environ)


ENDPOINTS = [
    ("get", "/simulator", None),
    ("post", "/simulator/send", {"from": TEST_PHONE, "text": "halo"}),
    ("get", f"/simulator/messages?phone={TEST_PHONE}", None),
]


def call(client, method, path, payload):
    return client.post(path, json=payload) if method == "post" else client.get(path)


@pytest.mark.parametrize(("method", "path", "payload"), ENDPOINTS)
def test_simulator_is_off_with_the_twilio_sender(twilio_app, method, path, payload):
    client = twilio_app.test_client()
    assert call(client, method, path, payload).status_code == 404
    assert client.get("/").get_json() == {"service": "jemput-bola"}  # no redirect to it


@pytest.mark.parametrize(("method", "path", "payload"), ENDPOINTS)
def test_simulator_can_be_switched_off_in_development(db_url, clock, nlu, method, path, payload):
    app = make_app(db_url, clock, nlu, **{"channels.simulator": False})
    assert call(app.test_client(), method, path, payload).status_code == 404


@pytest.fixture
def staff_app(db_url, clock, nlu):
    """Twilio sender with SIMULATOR_ENABLED=true, and one admin login."""
    app = make_app(db_url, clock, nlu, **TWILIO, **{"channels.simulator": True})
    rt = app.extensions["jemput_bola"]
    ts = to_db(clock.now())
    with transaction(rt.session_factory) as s:
        s.add(
            StaffUser(
                username="admin",
                password_hash=hash_password(PASSWORDS["admin"]),
                role="admin",
                active=True,
                created_at=ts,
                updated_at=ts,
            )
        )
    yield app
    rt.engine.dispose()


@pytest.mark.parametrize(("method", "path", "payload"), ENDPOINTS[1:])
def test_enabled_simulator_needs_a_dashboard_login(staff_app, method, path, payload):
    resp = call(staff_app.test_client(), method, path, payload)
    assert resp.status_code == 401
    assert "log in" in resp.get_json()["error"]


def test_enabled_simulator_page_sends_to_the_login_and_back(staff_app):
    client = staff_app.test_client()
    resp = client.get("/simulator")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/dashboard/masuk?next=/simulator")
    token = csrf_of(client)
    resp = client.post(
        "/dashboard/masuk?next=/simulator",
        data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token},
    )
    assert resp.headers["Location"] == "/simulator"
    assert client.get("/simulator").status_code == 200


def test_logged_in_staff_use_the_simulator_with_test_numbers(staff_app, clock):
    client = staff_app.test_client()
    assert login(client, "admin").status_code == 302
    resp = client.post("/simulator/send", json={"from": TEST_PHONE, "text": "halo"})
    assert resp.status_code == 200 and resp.get_json()["replies"]
    history = client.get(f"/simulator/messages?phone={TEST_PHONE}").get_json()["messages"]
    assert history and "Jemput Bola" in history[0]["body"]
    rt = staff_app.extensions["jemput_bola"]
    with transaction(rt.session_factory) as s:
        (row,) = s.execute(select(AuditLog).where(AuditLog.action == "simulator")).scalars()
        assert (row.username, row.target) == ("admin", TEST_PHONE)
    clock.advance(minutes=31)  # idle: the dashboard session has ended
    resp = client.post("/simulator/send", json={"from": TEST_PHONE, "text": "halo"})
    assert resp.status_code == 401


def test_the_simulator_api_takes_only_json_so_a_cross_site_form_cannot_use_it(staff_app):
    """/simulator/send needs no CSRF token (app.py): a form post, all that another site can send
    without a CORS preflight, is refused before anything is stored or audited."""
    client = staff_app.test_client()
    login(client, "admin")
    resp = client.post("/simulator/send", data={"from": TEST_PHONE, "text": "halo"})
    assert resp.status_code == 400
    resp = client.post(
        "/simulator/send",
        data=json.dumps({"from": TEST_PHONE, "text": "halo"}),
        content_type="text/plain",
    )
    assert resp.status_code == 400
    with transaction(staff_app.extensions["jemput_bola"].session_factory) as s:
        assert s.execute(select(AuditLog).where(AuditLog.action == "simulator")).first() is None


def test_staff_cannot_post_as_a_health_worker_or_a_real_resident(staff_app, clock):
    rt = staff_app.extensions["jemput_bola"]
    resident = "+6281234567001"
    with transaction(rt.session_factory) as s:
        s.add(Contact(phone=resident, channel="whatsapp", created_at=to_db(clock.now())))
        s.add(
            OutboundMessage(
                idempotency_key="seed-1", to_phone=resident, channel="whatsapp", kind="reply",
                body="pesan pribadi", status="delivered", attempts=1,
                created_at=to_db(clock.now()), updated_at=to_db(clock.now()),
            )
        )  # fmt: skip
    client = staff_app.test_client()
    login(client, "admin")
    for phone in (KADER_PHONE, resident):
        resp = client.post("/simulator/send", json={"from": phone, "text": "TERIMA 100001"})
        assert resp.status_code == 403
    assert client.get(f"/simulator/messages?phone={resident}").get_json()["messages"] == []


def test_logout_closes_the_simulator_again(staff_app):
    client = staff_app.test_client()
    login(client, "admin")
    client.post("/dashboard/keluar", data={"csrf_token": csrf_of(client, "/dashboard/")})
    assert client.post("/simulator/send", json={"from": TEST_PHONE}).status_code == 401


# ----------------------------------------------------------------------- cookies and proxies


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [("https://jemput.example.org", True), ("http://127.0.0.1:5000", False)],
)
def test_session_cookie_is_secure_behind_https(db_url, clock, base_url, secure):
    app = make_app(db_url, clock, None, **{"channels.public_base_url": base_url})
    cookie = app.test_client().get("/dashboard/masuk").headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_over_https_a_form_must_come_from_this_host(dash_app, seed):
    """Flask-WTF's strict check: over HTTPS the Referer must be this host (the dashboard sends
    `Referrer-Policy: same-origin`, so its own forms always carry it)."""
    client = dash_app.test_client()
    base = "https://jemput.example.org"
    page = client.get("/dashboard/masuk", base_url=base).get_data(as_text=True)
    token = CSRF.search(page).group(1)
    form = {"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token}
    for referrer in (None, "https://evil.example/dashboard/masuk"):
        headers = {"Referer": referrer} if referrer else {}
        resp = client.post("/dashboard/masuk", data=form, base_url=base, headers=headers)
        assert resp.status_code == 400 and "Formulir kedaluwarsa" in resp.get_data(as_text=True)
    headers = {"Referer": f"{base}/dashboard/masuk"}
    resp = client.post("/dashboard/masuk", data=form, base_url=base, headers=headers)
    assert resp.status_code == 302


def failed_login_ip(app, headers, remote="10.9.8.7") -> str | None:
    client = app.test_client()
    token = csrf_of(client)
    client.post(
        "/dashboard/masuk",
        data={"username": "nobody", "password": "x", "csrf_token": token},
        headers=headers,
        environ_base={"REMOTE_ADDR": remote},
    )
    with transaction(app.extensions["jemput_bola"].session_factory) as s:
        return (
            s.execute(
                select(AuditLog.ip).where(AuditLog.action == "login_failed").order_by(AuditLog.id)
            )
            .scalars()
            .all()[-1]
        )


@pytest.mark.parametrize(
    ("hops", "forwarded", "seen"),
    [
        (0, "203.0.113.5", "10.9.8.7"),  # default: the header is ignored
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # a client-set value is not trusted
        (2, "198.51.100.1, 203.0.113.5", "198.51.100.1"),
    ],
)
def test_forwarded_for_is_trusted_only_from_configured_proxies(
    db_url, clock, hops, forwarded, seen
):
    app = make_app(db_url, clock, None, **{"web.proxy_hops": hops})
    assert failed_login_ip(app, {"X-Forwarded-For": forwarded}) == seen


# ---------------------------------------------------------------------------- login limits


def test_one_password_against_many_usernames_is_blocked_per_ip(dash_app, seed):
    spray = dash_app.test_client()
    for i in range(20):
        assert login(spray, f"user{i}", "Rahasia123").status_code == 401
    assert login(spray, "sari").status_code == 429  # even a right password, from that address
    assert login(spray, "someone-new", "Rahasia123").status_code == 429
    other = dash_app.test_client()
    token = csrf_of(other)
    resp = other.post(
        "/dashboard/masuk",
        data={"username": "sari", "password": PASSWORDS["sari"], "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert resp.status_code == 302  # another address is not blocked


def test_a_good_login_does_not_reset_the_ip_count(dash_app, seed):
    client = dash_app.test_client()
    for i in range(19):
        login(client, f"user{i}", "salah")
    assert login(client, "ani").status_code == 302  # 19 failures: still allowed
    client = dash_app.test_client()
    login(client, "user19", "salah")
    assert login(client, "ani").status_code == 429


# --------------------------------------------------------------------------------- logs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '127.0.0.1 - - [22/Nov/2026 10:00:00] "GET /simulator/messages?phone=081234567890'
            '&after=3 HTTP/1.1" 200 -',
            '127.0.0.1 - - [22/Nov/2026 10:00:00] "GET /simulator/messages?phone=***&after=***'
            ' HTTP/1.1" 200 -',
        ),
        (
            '"GET /dashboard/warga?q=Siti+Aminah HTTP/1.1" 200',
            '"GET /dashboard/warga?q=*** HTTP/1.1" 200',
        ),
        ("GET /dashboard/warga?q= HTTP/1.1", "GET /dashboard/warga?q= HTTP/1.1"),
        ("send to +6281234567890 failed", "send to +62********890 failed"),
        ("from whatsapp:+62 812-3456-7890", "from whatsapp:+62***********890"),
        ("nomor 6281234567890 dan 081234567890", "nomor 628*******890 dan 081******890"),
        ("encoded %2B6281234567890", "encoded %2B**********890"),
        ("SM1234567890123456789012 stays", "SM1234567890123456789012 stays"),
        ("inbound 12 ref 100001 on 2026-11-22 10:00", "inbound 12 ref 100001 on 2026-11-22 10:00"),
    ],
)
def test_redact(line, expected):
    assert logsafe.redact(line) == expected


@pytest.fixture
def captured():
    """A root handler like a deployment's, with the filter installed the way create_app does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    logsafe.install()
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_werkzeug_access_log_has_no_phone_or_search_terms(app, captured):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        for path in (
            "/simulator/messages?phone=%2B6281234567890",
            "/simulator/messages?phone=081234567890&after=0",
            "/dashboard/warga?q=Siti%20Aminah",
            "/nope/081234567890",
        ):
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(base + path).read()
    finally:
        server.shutdown()
        server.server_close()
    out = captured.getvalue()
    assert "GET /simulator/messages?phone=***" in out and "/dashboard/warga?q=***" in out
    for secret in ("81234567890", "Siti", "Aminah"):
        assert secret not in out, out


def test_gunicorn_access_log_is_masked():
    access = logging.getLogger("gunicorn.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    access.addHandler(handler)
    access.propagate = False
    access.setLevel(logging.INFO)  # as gunicorn sets it
    try:
        logsafe.install()
        atoms = {"h": "10.0.0.1", "r": "GET /simulator/messages?phone=081234567890 HTTP/1.1",
                 "s": "200", "f": "https://jemput.example.org/dashboard/warga?q=Siti"}  # fmt: skip
        access.info('%(h)s "%(r)s" %(s)s "%(f)s"', atoms)
    finally:
        access.removeHandler(handler)
        access.propagate = True
        access.setLevel(logging.NOTSET)
    line = stream.getvalue()
    assert (
        line
        == '10.0.0.1 "GET /simulator/messages?phone=*** HTTP/1.1" 200 "https://jemput.example.org/dashboard/warga?q=***"\n'
    )  # noqa: E501


def test_pipeline_logs_carry_no_phone_or_text(twilio_app, captured, caplog):
    from tests.test_faults import signed
    from tests.test_twilio_webhook import inbound

    client = twilio_app.test_client()
    caplog.set_level(logging.INFO)
    signed(client, "/twilio/inbound", inbound("anak saya kejang, hub 081299998888"))
    signed(client, "/twilio/inbound", inbound("STOP", sid="SM" + "e" * 32))
    raw = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    for text in (raw, captured.getvalue()):
        for secret in ("81234567890", "81299998888", "kejang"):
            assert secret not in text, text


def test_exception_text_in_logs_is_masked(client, app, monkeypatch, captured):
    from bot import pipeline

    def broken(*_args, **_kwargs):
        raise RuntimeError("route failed for +6281234567890")

    monkeypatch.setattr(pipeline.router, "route", broken)
    client.post("/simulator/send", json={"from": "+6281234567890", "text": "rahasia pribadi"})
    out = captured.getvalue()
    assert "route failed for +62********890" in out
    assert "81234567890" not in out and "rahasia" not in out
