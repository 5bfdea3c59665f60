"""Event handlers and lookup providers by feature, listed here explicitly: the tables the
pipeline hands to `bot.events.apply` and `bot.lookups.collect`."""

from __future__ import annotations

from collections.abc import Mapping

from bot.events import Handler
from bot.handlers import contact, household, reminders, reports, visits
from bot.lookups import Provider

_FEATURES = (contact, household, reminders, reports, visits)


def _merged(tables: list[Mapping[str, object]]) -> dict:
    merged: dict = {}
    for table in tables:
        twice = merged.keys() & table.keys()
        if twice:
            raise RuntimeError(f"two handlers for {sorted(twice)}")
        merged.update(table)
    return merged


HANDLERS: Mapping[str, Handler] = _merged([m.HANDLERS for m in _FEATURES])
PROVIDERS: Mapping[str, Provider] = _merged(
    [m.PROVIDERS for m in _FEATURES if hasattr(m, "PROVIDERS")]
)
