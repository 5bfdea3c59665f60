"""Settings: config.yml, overridden by environment variables, validated at start-up."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import StrictStr, root_validator

from flows.schema import At, Schema, ValidationError, describe

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
    """A setting is missing or invalid; the message names the file, the key and the problem."""


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
                f"{path.name}: {'.'.join(secret_path)}: secrets must come from the environment"
            )
    settings = copy.deepcopy(data)
    env = os.environ if environ is None else environ
    origins: dict[tuple[str, ...], str] = {}
    for name, key in {**ENV_OVERRIDES, **SECRETS}.items():
        if env.get(name):
            _set(settings, key, env[name])
            origins[key] = f"environment variable {name}"
    for dotted, value in (overrides or {}).items():
        key = tuple(dotted.split("."))
        _set(settings, key, value)
        origins[key] = "an override"
    validate(settings, path.name, origins)
    return settings


# --------------------------------------------------------------------------- the schema
# Values from the environment are text: whole numbers and booleans are also accepted written
# as text ("5", "true"/"1") and stored converted.


def _type(name: str, check: Callable[[Any], Any]) -> type:
    """A field type whose one validator is `check` (raise ValueError, return the value)."""
    return type(name, (), {"__get_validators__": classmethod(lambda cls: iter((check,)))})


def _whole(low: int, high: int) -> type:
    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, got {value!r}")
        return value

    return _type(f"Whole{low}to{high}", check)


def _flag(value: Any) -> bool:
    if isinstance(value, str) and value.lower() in _BOOLS:
        value = value.lower() in {"true", "1"}
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _choice(*choices: str) -> type:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(choices))}")
        return value

    return _type("Choice", check)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty text, got {value!r}")
    return value


def _hhmm(value: Any) -> str:
    if not _HHMM.match(str(value or "")):
        raise ValueError(f"expected HH:MM, got {value!r}")
    return value


def _zone(value: Any) -> str:
    value = _text(value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def _existing_file(value: Any) -> str:
    if not resolve_path(_text(value)).is_file():
        raise ValueError(f"no file {value}")
    return value


def _base_url(value: Any) -> str:
    if not re.match(r"^https?://[^/\s]+$", _text(value).rstrip("/")):
        raise ValueError(f"must look like https://host[:port], got {value!r}")
    return value


def _simulator(value: Any) -> bool | str:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return _flag(value)
    except ValueError:
        raise ValueError(f"expected auto, true or false, got {value!r}") from None


def _window(value: Any) -> list[str]:
    if not (
        isinstance(value, list) and len(value) == 2 and all(_HHMM.match(str(p)) for p in value)
    ):
        raise ValueError(f"expected [HH:MM, HH:MM], got {value!r}")
    return value


def _rates(value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value.values()
    ):
        raise ValueError(f"expected {{channel: number >= 0}}, got {value!r}")
    return value


Text = _type("Text", _text)
Flag = _type("Flag", _flag)
Clock = _type("Clock", _hhmm)
Plain = StrictStr | None  # not validated beyond its type; may be empty


class _Database(Schema):
    url: Text  # type: ignore[valid-type]


class _Nlu(Schema):
    backend: _choice("inprocess", "http")  # type: ignore[valid-type]
    config: Text  # type: ignore[valid-type]
    data: Text  # type: ignore[valid-type]
    model_dir: Text  # type: ignore[valid-type]
    server_url: Text  # type: ignore[valid-type]
    server_token: Plain = None  # secret: environment only
    timeout_seconds: _whole(1, 120)  # type: ignore[valid-type]
    max_chars: _whole(20, 100_000)  # type: ignore[valid-type]


class _Channels(Schema):
    public_base_url: _type("BaseUrl", _base_url)  # type: ignore[valid-type]
    validate_signature: Flag  # type: ignore[valid-type]
    whatsapp_from: Text  # type: ignore[valid-type]
    sms_from: Text  # type: ignore[valid-type]
    simulator: _type("Simulator", _simulator)  # type: ignore[valid-type]


class _Sending(Schema):
    backend: _choice("log", "twilio")  # type: ignore[valid-type]
    status_callback: Flag  # type: ignore[valid-type]
    replies_in_twiml: Flag  # type: ignore[valid-type]
    max_attempts: _whole(1, 50)  # type: ignore[valid-type]
    retry_base_seconds: _whole(1, 86_400)  # type: ignore[valid-type]
    rate_per_second: _type("Rates", _rates)  # type: ignore[valid-type]
    whatsapp_templates: dict[str, StrictStr | None] | None = None
    failures_before_pause: _whole(1, 100)  # type: ignore[valid-type]


class _Twilio(Schema):
    account_sid: Plain = None
    auth_token: Plain = None  # secret: environment only
    api_base_url: Plain = None


class _Alerts(Schema):
    escalate_emergency_minutes: _whole(1, 24 * 60)  # type: ignore[valid-type]
    escalate_routine_hours: _whole(1, 24 * 14)  # type: ignore[valid-type]
    followup_hours: _whole(1, 72)  # type: ignore[valid-type]


class _Dashboard(Schema):
    session_idle_minutes: _whole(1, 24 * 60)  # type: ignore[valid-type]
    login_max_failures: _whole(1, 100)  # type: ignore[valid-type]
    login_window_minutes: _whole(1, 24 * 60)  # type: ignore[valid-type]
    login_max_failures_per_ip: _whole(1, 10_000)  # type: ignore[valid-type]
    coverage_target_percent: _whole(1, 100)  # type: ignore[valid-type]


class _Web(Schema):
    proxy_hops: _whole(0, 5)  # type: ignore[valid-type]
    metrics_token: Plain = None  # secret: environment only


class _Conversation(Schema):
    expiry_hours: _whole(1, 24 * 30)  # type: ignore[valid-type]


class _Reminders(Schema):
    hour: Clock  # type: ignore[valid-type]
    horizon_days: _whole(1, 366)  # type: ignore[valid-type]
    plan_workers: _whole(0, 64)  # type: ignore[valid-type]


class _Digest(Schema):
    hour: Clock  # type: ignore[valid-type]
    top: _whole(1, 50)  # type: ignore[valid-type]


class _QuietHours(Schema):
    start: Clock  # type: ignore[valid-type]
    end: Clock  # type: ignore[valid-type]
    friday_prayer: _type("Window", _window)  # type: ignore[valid-type]


class _Settings(Schema):
    database: _Database
    timezone: _type("TimeZone", _zone)  # type: ignore[valid-type]
    default_region: Plain = None
    language: Plain = None
    district_file: _type("ExistingFile", _existing_file)  # type: ignore[valid-type]
    secret_key: Plain = None  # secret: environment only
    nlu: _Nlu
    channels: _Channels
    sending: _Sending
    twilio: _Twilio = _Twilio()
    alerts: _Alerts
    dashboard: _Dashboard
    web: _Web
    conversation: _Conversation
    reminders: _Reminders
    digest: _Digest
    quiet_hours: _QuietHours

    @root_validator(skip_on_failure=True)
    def _twilio_credentials(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["sending"].backend == "twilio":
            for key, env_name in (
                ("account_sid", "TWILIO_ACCOUNT_SID"),
                ("auth_token", "TWILIO_AUTH_TOKEN"),
            ):
                if not getattr(values["twilio"], key):
                    raise At(
                        ("twilio", key),
                        f"required when sending.backend is twilio (set {env_name})",
                    )
        return values

    @root_validator(skip_on_failure=True)
    def _send_hours_inside_quiet_hours(cls, values: dict[str, Any]) -> dict[str, Any]:
        quiet = values["quiet_hours"]
        start, end = str(quiet.start).zfill(5), str(quiet.end).zfill(5)
        for section in ("reminders", "digest"):
            if not start <= str(values[section].hour).zfill(5) < end:
                raise At(
                    (section, "hour"),
                    f"must lie inside quiet_hours ({start}-{end}), when messages may be sent",
                )
        return values


def validate(
    s: dict[str, Any], file: str = DEFAULT_CONFIG.name, origins: dict | None = None
) -> None:
    """Raise ConfigError naming the file, every bad key and its problem; values written as
    text (from the environment) are stored converted."""
    try:
        model = _Settings.parse_obj(s)
    except ValidationError as exc:

        def note(loc: tuple) -> str:
            origin = (origins or {}).get(loc)
            return f" (set by {origin})" if origin else ""

        raise ConfigError(describe(file, exc, note=note)) from None
    converted = model.dict(exclude_unset=True)
    s.clear()
    s.update(converted)


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
