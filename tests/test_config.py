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


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        # a missing required key (the override replaces the whole nlu section)
        ("nlu", {"backend": "http"}, r"nlu\.config: required key is missing"),
        # a wrong type
        ("nlu.timeout_seconds", "five", r"nlu\.timeout_seconds: expected a whole number from 1"),
        ("nlu.timeout_seconds", True, r"nlu\.timeout_seconds: expected a whole number"),
        ("channels.simulator", "sometimes", r"channels\.simulator: expected auto, true or false"),
        ("sending.rate_per_second", {"sms": -1}, r"sending\.rate_per_second: expected"),
        ("database.url", 5, r"database\.url: expected a non-empty text, got 5"),
        ("district_file", "nowhere.yml", r"district_file: no file nowhere\.yml"),
        # an unknown key
        ("nlu.backnd", "http", r"nlu\.backnd: unknown key"),
        ("quiet_hour", {}, r"quiet_hour: unknown key"),
        # a cross-field problem
        ("reminders.hour", "06:00", r"reminders\.hour: must lie inside quiet_hours \(07:00-20:00"),
        ("sending.backend", "twilio", r"twilio\.account_sid: required when sending\.backend is"),
    ],
)
def test_bad_config_names_file_key_and_problem(key, value, problem):
    with pytest.raises(ConfigError, match=rf"(^|\n)config\.yml: {problem}"):
        load_settings(overrides={key: value}, environ={})


def test_bad_environment_value_says_where_it_came_from():
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"PROXY_HOPS": "many"})
    assert str(info.value) == (
        "config.yml: web.proxy_hops: expected a whole number from 0 to 5, got 'many'"
        " (set by environment variable PROXY_HOPS)"
    )


def test_every_problem_is_listed(tmp_path: Path):
    cfg = tmp_path / "site.yml"
    cfg.write_text(DEFAULT_CONFIG.read_text().replace("top: 5", "top: 0"))
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, overrides={"nlu.max_chars": 1}, environ={})
    assert str(info.value).splitlines() == [
        "site.yml: nlu.max_chars: expected a whole number from 20 to 100000, got 1"
        " (set by an override)",
        "site.yml: digest.top: expected a whole number from 1 to 50, got 0",
    ]


def test_values_from_the_environment_are_converted():
    s = load_settings(environ={"PROXY_HOPS": "2", "SIMULATOR_ENABLED": "0"})
    assert s["web"]["proxy_hops"] == 2
    assert s["channels"]["simulator"] is False
