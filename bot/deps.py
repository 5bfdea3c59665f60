"""What event handlers and lookup providers work with, handed to them by the pipeline from its
runtime (the composition root) instead of read from the Flask app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.catalog import Catalog

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class HandlerDeps:
    """One message's transaction and time, with the runtime's settings, message catalog,
    district places and reference codes."""

    session: Session
    now: datetime
    settings: dict[str, Any]
    catalog: Catalog
    places: tuple[Mapping[str, Any], ...]
    new_ref: Callable[[], str]

    @classmethod
    def of(cls, rt: Runtime, session: Session, now: datetime) -> HandlerDeps:
        """The runtime's dependencies for work in `session` at `now`."""
        return cls(session, now, rt.settings, rt.catalog, rt.district.places, rt.new_ref)

    @property
    def default_tz(self) -> str:
        """The deployment's default zone (config `timezone`), for areas without their own."""
        return self.settings["timezone"]
