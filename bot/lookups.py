"""Read-only data that flows need beyond the household (booked slots, open reports...).

Feature modules register a provider; the pipeline runs them all before a step and passes the
results in `Context.lookups` under the provider's name, so steps stay free of I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models import Contact

Provider = Callable[[Session, Contact, datetime], Any]
PROVIDERS: dict[str, Provider] = {}


def provider(name: str) -> Callable[[Provider], Provider]:
    def wrap(fn: Provider) -> Provider:
        PROVIDERS[name] = fn
        return fn

    return wrap


def collect(session: Session, contact: Contact, now: datetime) -> dict[str, Any]:
    import bot.handlers  # noqa: F401  (feature modules register their providers on import)

    return {name: fn(session, contact, now) for name, fn in PROVIDERS.items()}
