"""Settings: config.yml, overridden by environment variables, validated at start-up."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yml"

# Environment variable -> setting path. Secrets are only ever read from here.
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "DATABASE_URL": ("database", "url"),
    "TIMEZONE": ("timezone",),
    "DISTRICT_FILE": ("district_file",),
    "NLU_BACKEND": ("nlu", "backend"),
    "NLU_DATA_DIR": ("nlu", "data"),
    "NLU_MODEL_DIR": ("nlu", "model_dir"),
    "NLU_SERVER_URL": ("nlu", "server_url"),
    "PUBLIC_BASE_URL": ("channels", "public_base_url"),
    "TWILIO_WHATSAPP_FROM": ("channels", "whatsapp_from"),
    "TWILIO_SMS_FROM": ("channels", "sms_from"),
    "SENDER_BACKEND": ("sending", "backend"),
    "SIMULATOR_ENABLED": ("channels", "simulator"),
    "PROXY_HOPS": ("web", "proxy_hops"),
    "TWILIO_ACCOUNT_SID": ("twilio", "account_sid"),
    "TWILIO_API_BASE_URL": ("twilio", "api_base_url"),
}
SECRETS: dict[str, tuple[str, ...]] = {
    "SECRET_KEY": ("secret_key",),
    "TWILIO_AUTH_TOKEN": ("twilio", "auth_token"),
    "NLU_SERVER_TOKEN": ("nlu", "server_token"),
    "METRICS_TOKEN": ("web", "metrics_token"),
}
_BOOLS = {"true", "false", "1", "0"}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the key."""


def load_settings(
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Read the config file, apply environment variables then `overrides`, and validate."""
    path = path or DEFAULT_CONFIG
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    for secret_path in SECRETS.values():
        if _get(data, secret_path) not in (None, ""):
            raise ConfigError(
                f"config key '{'.'.join(secret_path)}': secrets must come from the environment"
            )
    settings = copy.deepcopy(data)
    env = os.environ if environ is None else environ
    for name, key in {**ENV_OVERRIDES, **SECRETS}.items():
        if env.get(name):
            _set(settings, key, env[name])
    for dotted, value in (overrides or {}).items():
        _set(settings, tuple(dotted.split(".")), value)
    validate(settings)
    return settings


def validate(s: dict[str, Any]) -> None:
    """Raise ConfigError naming the first bad key."""
    _require_str(s, ("database", "url"))
    tz = _require_str(s, ("timezone",))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"config key 'timezone': unknown time zone {tz!r}") from exc
    district = _require_str(s, ("district_file",))
    if not resolve_path(district).is_file():
        raise ConfigError(f"config key 'district_file': no file {district}")
    _require_choice(s, ("nlu", "backend"), {"inprocess", "http"})
    for key in (("nlu", "config"), ("nlu", "data"), ("nlu", "model_dir"), ("nlu", "server_url")):
        _require_str(s, key)
    _require_int(s, ("nlu", "timeout_seconds"), 1, 120)
    _require_int(s, ("nlu", "max_chars"), 20, 100_000)
    base = _require_str(s, ("channels", "public_base_url"))
    if not re.match(r"^https?://[^/\s]+$", base.rstrip("/")):
        raise ConfigError(
            "config key 'channels.public_base_url': must look like https://host[:port]"
        )
    _require_bool(s, ("channels", "validate_signature"))
    simulator = _get(s, ("channels", "simulator"))
    if isinstance(simulator, str) and simulator.strip().lower() == "auto":
        _set(s, ("channels", "simulator"), "auto")
    elif not isinstance(simulator, bool) and str(simulator).lower() not in _BOOLS:
        raise ConfigError("config key 'channels.simulator': expected auto, true or false")
    else:
        _require_bool(s, ("channels", "simulator"))
    _require_int(s, ("web", "proxy_hops"), 0, 5)
    _require_str(s, ("channels", "whatsapp_from"))
    _require_str(s, ("channels", "sms_from"))
    _require_choice(s, ("sending", "backend"), {"log", "twilio"})
    _require_bool(s, ("sending", "status_callback"))
    _require_bool(s, ("sending", "replies_in_twiml"))
    _require_int(s, ("sending", "max_attempts"), 1, 50)
    _require_int(s, ("sending", "retry_base_seconds"), 1, 86_400)
    _require_int(s, ("sending", "failures_before_pause"), 1, 100)
    rates = _get(s, ("sending", "rate_per_second"))
    if not isinstance(rates, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in rates.values()
    ):
        raise ConfigError("config key 'sending.rate_per_second': expected {channel: number >= 0}")
    if _get(s, ("sending", "backend")) == "twilio":
        for key in (("twilio", "account_sid"), ("twilio", "auth_token")):
            if not _get(s, key):
                env_name = "TWILIO_ACCOUNT_SID" if key[1] == "account_sid" else "TWILIO_AUTH_TOKEN"
                raise ConfigError(
                    f"config key '{'.'.join(key)}': required when sending.backend is twilio "
                    f"(set {env_name})"
                )
    _require_int(s, ("conversation", "expiry_hours"), 1, 24 * 30)
    _require_int(s, ("dashboard", "session_idle_minutes"), 1, 24 * 60)
    _require_int(s, ("dashboard", "login_max_failures"), 1, 100)
    _require_int(s, ("dashboard", "login_window_minutes"), 1, 24 * 60)
    _require_int(s, ("dashboard", "login_max_failures_per_ip"), 1, 10_000)
    _require_int(s, ("dashboard", "coverage_target_percent"), 1, 100)
    _require_int(s, ("alerts", "escalate_emergency_minutes"), 1, 24 * 60)
    _require_int(s, ("alerts", "escalate_routine_hours"), 1, 24 * 14)
    _require_int(s, ("alerts", "followup_hours"), 1, 72)
    _require_int(s, ("reminders", "horizon_days"), 1, 366)
    _require_int(s, ("reminders", "plan_workers"), 0, 64)
    _require_int(s, ("digest", "top"), 1, 50)
    for key in (
        ("quiet_hours", "start"),
        ("quiet_hours", "end"),
        ("reminders", "hour"),
        ("digest", "hour"),
    ):
        if not _HHMM.match(str(_get(s, key) or "")):
            raise ConfigError(f"config key '{'.'.join(key)}': expected HH:MM")
    start, end = (str(_get(s, ("quiet_hours", k))).zfill(5) for k in ("start", "end"))
    for key in (("reminders", "hour"), ("digest", "hour")):
        if not start <= str(_get(s, key)).zfill(5) < end:
            raise ConfigError(
                f"config key '{'.'.join(key)}': must lie inside quiet_hours ({start}-{end}),"
                " when messages may be sent"
            )
    prayer = _get(s, ("quiet_hours", "friday_prayer"))
    if not (
        isinstance(prayer, list) and len(prayer) == 2 and all(_HHMM.match(str(p)) for p in prayer)
    ):
        raise ConfigError("config key 'quiet_hours.friday_prayer': expected [HH:MM, HH:MM]")


def _get(data: dict[str, Any], key: tuple[str, ...]) -> Any:
    node: Any = data
    for part in key:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set(data: dict[str, Any], key: tuple[str, ...], value: Any) -> None:
    node = data
    for part in key[:-1]:
        node = node.setdefault(part, {})
    node[key[-1]] = value


def _require_str(s: dict[str, Any], key: tuple[str, ...]) -> str:
    value = _get(s, key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"config key '{'.'.join(key)}': expected a non-empty text")
    return value


def _require_choice(s: dict[str, Any], key: tuple[str, ...], choices: set[str]) -> None:
    value = _get(s, key)
    if value not in choices:
        raise ConfigError(
            f"config key '{'.'.join(key)}': {value!r} is not one of {', '.join(sorted(choices))}"
        )


def _require_int(s: dict[str, Any], key: tuple[str, ...], low: int, high: int) -> None:
    value = _get(s, key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
        _set(s, key, value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"config key '{'.'.join(key)}': expected a whole number from {low} to {high}"
        )


def _require_bool(s: dict[str, Any], key: tuple[str, ...]) -> None:
    value = _get(s, key)
    if isinstance(value, str) and value.lower() in _BOOLS:
        value = value.lower() in {"true", "1"}
        _set(s, key, value)
    if not isinstance(value, bool):
        raise ConfigError(f"config key '{'.'.join(key)}': expected true or false")


def simulator_mode(settings: dict[str, Any]) -> str:
    """Who may use /simulator: 'open' (development: the log sender, nothing leaves the
    machine), 'staff' (explicitly enabled next to the Twilio sender: logged-in dashboard staff
    only) or 'off' (the default with the Twilio sender, or disabled)."""
    enabled = settings["channels"]["simulator"]
    if enabled is False:
        return "off"
    if settings["sending"]["backend"] == "log":
        return "open"
    return "staff" if enabled is True else "off"


def get(settings: dict[str, Any], dotted: str) -> Any:
    """Read a setting by its dotted key, e.g. get(s, "nlu.backend")."""
    return _get(settings, tuple(dotted.split(".")))


def resolve_path(value: str) -> Path:
    """A path from the config, relative to the project root."""
    p = Path(value)
    return p if p.is_absolute() else ROOT / p


def database_url(settings: dict[str, Any]) -> str:
    """The database URL with a relative SQLite path anchored at the project root."""
    url = settings["database"]["url"]
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite://":
        rel = url[len(prefix) :]
        if rel and rel != ":memory:":
            path = resolve_path(rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            return prefix + str(path)
    return url
