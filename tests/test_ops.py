"""/healthz, /readyz and /metrics through the Flask client, on the real model and database."""

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from tests.conftest import make_app


def samples(client, **kw) -> dict[tuple, float]:
    resp = client.get("/metrics", **kw)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    out = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(snap, name, **labels) -> float:
    return snap.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_and_readyz_ready(client):
    assert client.get("/healthz").get_json()["ok"] is True
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"ready": True, "database": "ok", "nlu": "ok"}


def test_readyz_waits_for_the_model_then_is_ready(db_url, clock, nlu):
    app = create_app({"TESTING": True, "database.url": db_url, "CLOCK": clock})
    client = app.test_client()
    resp = client.get("/readyz")  # nothing loaded yet: the probe starts the loading
    assert resp.status_code == 503
    assert resp.get_json()["nlu"] == "loading"
    assert resp.headers["Retry-After"]
    deadline = time.monotonic() + 60
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the model never became ready"
        time.sleep(0.1)
    app.extensions["jemput_bola"].engine.dispose()


def test_readyz_unreachable_nlu_server(db_url, clock, nlu):
    app = make_app(db_url, clock, nlu, **{"nlu.backend": "http"})
    app.extensions["jemput_bola"].settings["nlu"]["server_url"] = "http://127.0.0.1:9"
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json() == {
        "ready": False,
        "database": "ok",
        "nlu": "nlu server unreachable",
    }


def test_readyz_without_schema(tmp_path, nlu):
    app = create_app({"TESTING": True, "database.url": f"sqlite:///{tmp_path}/empty.sqlite3"})
    app.extensions["jemput_bola"].nlu = nlu
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert "db upgrade" in resp.get_json()["database"]


def test_metrics_move_after_a_message_and_hold_no_personal_data(client, chat):
    before = samples(client)
    reply = chat.send("tolong anak saya kejang kejang")
    assert reply["status"] == "processed"
    after = samples(client)
    inc = value(after, "jb_messages_in_total", channel="simulator", result="processed") - value(
        before, "jb_messages_in_total", channel="simulator", result="processed"
    )
    assert inc == 1
    assert value(after, "jb_messages_out_total", channel="simulator", outcome="sent") > value(
        before, "jb_messages_out_total", channel="simulator", outcome="sent"
    )
    assert value(after, "jb_nlu_seconds_count") == value(before, "jb_nlu_seconds_count") + 1
    assert value(after, "jb_inbound_seconds_count", channel="simulator") == 1 + value(
        before, "jb_inbound_seconds_count", channel="simulator"
    )
    assert value(after, "jb_database_up") == 1
    assert value(after, "jb_alerts_open", urgency="emergency", status="open") == 1
    assert value(after, "jb_outbox_messages", status="delivered") >= 1
    text = client.get("/metrics").get_data(as_text=True)
    assert "6281234567890" not in text and "kejang" not in text


def test_failures_counted_by_twilio_code(twilio_app, twilio):
    from bot import outbox
    from bot.db import transaction

    rt = twilio_app.extensions["jemput_bola"]
    client = twilio_app.test_client()
    before = value(samples(client), "jb_send_failures_total", code="63018")
    with transaction(rt.session_factory) as s:
        msg = outbox.queue(
            s, key="m:1", to_phone="+6281200000001", channel="sms", body="x", now=rt.clock.now()
        )
    twilio.fail_next(1, status=429, code=63018)
    rt.outbox.deliver(msg.id)
    after = samples(client)
    assert value(after, "jb_send_failures_total", code="63018") == before + 1
    assert value(after, "jb_outbox_messages", status="retry") == 1


@pytest.mark.parametrize(
    ("token", "headers", "remote", "status"),
    [
        (None, {}, "10.1.2.3", 403),  # no token: not from another machine
        (None, {"X-Forwarded-For": "203.0.113.9"}, "127.0.0.1", 403),  # nor through a proxy
        ("s3cret-token", {}, "127.0.0.1", 401),
        ("s3cret-token", {"Authorization": "Bearer wrong"}, "10.1.2.3", 401),
        ("s3cret-token", {"Authorization": "s3cret-token"}, "10.1.2.3", 401),
        ("s3cret-token", {"Authorization": "Bearer s3cret-token"}, "10.1.2.3", 200),
        (None, {}, "127.0.0.1", 200),
    ],
)
def test_metrics_access(db_url, clock, nlu, token, headers, remote, status):
    app = make_app(db_url, clock, nlu)
    app.extensions["jemput_bola"].settings["web"]["metrics_token"] = token
    resp = app.test_client().get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert resp.status_code == status
    if status != 200:
        assert "METRICS_TOKEN" in resp.get_json()["error"]
