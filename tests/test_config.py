from pathlib import Path

import pytest

from app import create_app
from bot.config import DEFAULT_CONFIG, ConfigError, database_url, load_settings


def test_defaults_load_with_sqlite_under_instance():
    s = load_settings(environ={})
    assert s["timezone"] == "Asia/Jakarta"
    assert s["nlu"]["backend"] == "inprocess"
    assert database_url(s).endswith("/instance/jemput_bola.sqlite3")


def test_environment_overrides_file():
    s = load_settings(
        environ={
            "DATABASE_URL": "postgresql://x@127.0.0.1/db",
            "TWILIO_AUTH_TOKEN": "tok",
            "SECRET_KEY": "k",
            "TIMEZONE": "Asia/Makassar",
        }
    )
    assert s["database"]["url"] == "postgresql://x@127.0.0.1/db"
    assert s["twilio"]["auth_token"] == "tok"
    assert s["secret_key"] == "k"
    assert s["timezone"] == "Asia/Makassar"


def test_secret_in_file_is_refused(tmp_path: Path):
    cfg = tmp_path / "config.yml"
    cfg.write_text(DEFAULT_CONFIG.read_text() + "\nsecret_key: hunter2\n")
    with pytest.raises(ConfigError, match="secret_key"):
        load_settings(cfg, environ={})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("nlu.backend", "magic"),
        ("nlu.max_chars", "lots"),
        ("nlu.max_chars", 5),
        ("channels.public_base_url", "not a url"),
        ("channels.public_base_url", "https://host/with/path"),
        ("channels.validate_signature", "maybe"),
        ("sending.backend", "pigeon"),
        ("quiet_hours.start", "7am"),
        ("quiet_hours.end", "24:00"),
        ("quiet_hours.friday_prayer", ["11:30"]),
        ("digest.hour", "06:30"),  # before quiet hours end: no message to a kader yet
        ("reminders.hour", "21:00"),
        ("conversation.expiry_hours", 0),
        ("database.url", ""),
    ],
)
def test_bad_value_names_the_key(key, value):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(overrides={key: value}, environ={})


def test_twilio_backend_needs_credentials():
    with pytest.raises(ConfigError, match="twilio.auth_token"):
        load_settings(
            overrides={"sending.backend": "twilio", "twilio.account_sid": "AC1"}, environ={}
        )


def test_create_app_stops_on_bad_config():
    with pytest.raises(ConfigError, match="timezone"):
        create_app({"timezone": "Nowhere/City"})
