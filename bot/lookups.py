"""Read-only data that flows need beyond the household (booked slots, open reports...).

Feature modules list their providers (`bot.handlers.PROVIDERS`); the pipeline hands the step
`Context.lookups`, a mapping from each provider's name to its result, so steps stay free of I/O.
The mapping is filled on demand: a provider runs (once, inside the message's transaction) only
when a step reads its name, so a greeting does not pay for the booking flow's slot counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from bot.deps import HandlerDeps
from bot.models import Contact

# A provider reads in `deps.session` at `deps.now` (never writes).
Provider = Callable[[HandlerDeps, Contact], Any]


def mark_new(session: Session, contact: Contact) -> None:
    """Note that `contact` was inserted in this transaction (see `is_new`)."""
    session.info["new_contact"] = contact


def is_new(session: Session, contact: Contact) -> bool:
    """The contact row was inserted in this transaction: it has no persons, alerts or
    reminders yet, so lookups of its own rows can answer without a query."""
    return session is not None and session.info.get("new_contact") is contact


class Lookups(Mapping[str, Any]):
    """The providers' results for one message, each computed the first time it is read."""

    def __init__(
        self, deps: HandlerDeps, contact: Contact, providers: Mapping[str, Provider]
    ) -> None:
        self._args = (deps, contact)
        self._providers = providers
        self._values: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            fn = self._providers[name]  # KeyError for an unknown name, like a dict
            self._values[name] = fn(*self._args)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._providers)

    def __len__(self) -> int:
        return len(self._providers)

    @property
    def loaded(self) -> tuple[str, ...]:
        """The names read so far (for tests and profiling)."""
        return tuple(self._values)


def collect(deps: HandlerDeps, contact: Contact, providers: Mapping[str, Provider]) -> Lookups:
    """The lookups of one message: `providers` run with `deps` on first read."""
    return Lookups(deps, contact, providers)
