"""Fixtures in the flaskr style: `app`, `client`, `runner`, plus the real NLU model, a frozen
clock, databases (SQLite always, PostgreSQL too when TEST_DATABASE_URL is set) and a fake Twilio."""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app import create_app
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.db import Base, make_engine, transaction
from bot.district import sync
from bot.migrate import upgrade
from tests.fake_twilio import FakeTwilio

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
DB_KINDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
# 10:00 WIB on Sunday 22 November 2026
FROZEN_AT = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def nlu():
    """The real Rasa model, trained once (cached by hash) and loaded once per test session."""
    from nlu.factory import build_nlu

    model = build_nlu(load_settings())
    model.backend.load()
    return model


class SqliteTemplate:
    kind = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.template = directory / "template.sqlite3"
        engine = make_engine(f"sqlite:///{self.template}")
        upgrade(engine)
        engine.dispose()

    def fresh(self, tmp_path: Path) -> str:
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def close(self) -> None:
        pass


class PostgresSchema:
    """A private schema on the test server, migrated once and emptied before each test."""

    kind = "postgresql"

    def __init__(self, url: str) -> None:
        self.schema = "jb_" + uuid.uuid4().hex[:10]
        self.admin = make_engine(url)
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.schema}"))
        sep = "&" if "?" in url else "?"
        self.url = f"{url}{sep}options=-csearch_path%3D{self.schema}"
        engine = make_engine(self.url)
        upgrade(engine)
        engine.dispose()

    def fresh(self, tmp_path: Path) -> str:
        tables = ", ".join(f"{self.schema}.{t.name}" for t in Base.metadata.sorted_tables)
        with self.admin.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return self.url

    def close(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
        self.admin.dispose()


@pytest.fixture(scope="session", params=DB_KINDS)
def database(request, tmp_path_factory):
    if request.param == "sqlite":
        db = SqliteTemplate(tmp_path_factory.mktemp("db"))
    else:
        db = PostgresSchema(os.environ["TEST_DATABASE_URL"])
    yield db
    db.close()


@pytest.fixture
def db_url(database, tmp_path) -> str:
    return database.fresh(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_AT)


@pytest.fixture(scope="session")
def fake_twilio():
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def twilio(fake_twilio):
    """The fake Twilio server, emptied for this test."""
    fake_twilio.requests.clear()
    fake_twilio.failures.clear()
    fake_twilio.fail_always = None
    return fake_twilio


def make_app(db_url: str, clock: FrozenClock, nlu, **overrides):
    """The app on a fresh database with district.yml loaded and predictable reference codes."""
    app = create_app({"TESTING": True, "database.url": db_url, "CLOCK": clock, **overrides})
    rt = app.extensions["jemput_bola"]
    rt.nlu = nlu
    rt._refs = itertools.count(100001)
    with transaction(rt.session_factory) as s:
        sync(s, rt.district, clock.now())
    return app


@pytest.fixture
def app(db_url, clock, nlu):
    app = make_app(db_url, clock, nlu)
    yield app
    app.extensions["jemput_bola"].engine.dispose()


def _twilio_settings(twilio, replies_in_twiml: bool) -> dict:
    return {
        "sending.backend": "twilio",
        "sending.replies_in_twiml": replies_in_twiml,
        "twilio.account_sid": ACCOUNT_SID,
        "twilio.auth_token": AUTH_TOKEN,
        "twilio.api_base_url": twilio.url,
        "channels.public_base_url": "https://jemput.example.org",
    }


@pytest.fixture
def twilio_app(db_url, clock, nlu, twilio):
    """The app sending every message, answers included, through the real twilio client to
    the local fake server (`sending.replies_in_twiml: false`)."""
    app = make_app(db_url, clock, nlu, **_twilio_settings(twilio, False))
    yield app
    app.extensions["jemput_bola"].engine.dispose()


@pytest.fixture
def twiml_app(db_url, clock, nlu, twilio):
    """The app as configured by default: answers in the webhook's TwiML, the rest through
    the twilio client (from the background sender) to the local fake server."""
    app = make_app(db_url, clock, nlu, **_twilio_settings(twilio, True))
    yield app
    rt = app.extensions["jemput_bola"]
    rt.outbox.wait_idle()
    rt.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def rt(app):
    """The app's runtime (settings, sessions, clock, outbox)."""
    return app.extensions["jemput_bola"]


class Chat:
    """Small helper: talk to the simulator as one phone."""

    def __init__(self, client, phone: str = "+6281234567890") -> None:
        self.client = client
        self.phone = phone

    def send(self, text: str, **extra) -> dict:
        resp = self.client.post("/simulator/send", json={"from": self.phone, "text": text, **extra})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()


@pytest.fixture
def chat(client) -> Chat:
    return Chat(client)


def sent_to(rt, phone: str) -> list[str]:
    """The bodies queued to one phone, oldest first."""
    from bot.models import OutboundMessage

    with rt.session_factory() as s:
        return list(
            s.execute(
                select(OutboundMessage.body)
                .where(OutboundMessage.to_phone == phone)
                .order_by(OutboundMessage.id)
            ).scalars()
        )
