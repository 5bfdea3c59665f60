"""The shapes every flow step shares: (State, Message, Context) -> Step. No I/O, no clock reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flows.events import FlowEvent

# An event a step emits: a `flows.events` dataclass (the dicts of old are being converted).
Event = FlowEvent | dict[str, Any]


@dataclass(frozen=True)
class Message:
    """An inbound text and what the NLU made of it (intent None when NLU was not asked)."""

    text: str
    intent: str | None = None
    confidence: float = 0.0
    entities: tuple[Mapping[str, Any], ...] = ()
    truncated: bool = False
    keyword: str | None = None


@dataclass(frozen=True)
class ContactInfo:
    id: int | None
    phone: str
    channel: str
    name: str | None = None
    opted_out: bool = False
    registered: bool = False
    consented: bool = False
    area_code: str | None = None


@dataclass(frozen=True)
class PersonInfo:
    """A household member as flows see it (read-only)."""

    id: int
    name: str
    sex: str | None = None  # L | P
    birth_date: date | None = None
    hpht: date | None = None
    edd: date | None = None
    delivery_date: date | None = None
    area_code: str | None = None
    pregnancy_outcome: str | None = None  # how the pregnancy that ended on delivery_date ended


@dataclass(frozen=True)
class AreaInfo:
    code: str
    name: str
    level: str  # desa | dusun | rw | rt
    parent: str | None = None
    timezone: str = "Asia/Jakarta"


@dataclass(frozen=True)
class Context:
    """What a step may know besides state and message: time, contact, household, areas,
    places, a fresh reference code for records this message creates, and the catalog."""

    now: datetime
    contact: ContactInfo
    t: Callable[..., str]
    settings: Mapping[str, Any] = field(default_factory=dict)
    household: tuple[PersonInfo, ...] = ()
    areas: tuple[AreaInfo, ...] = ()
    places: tuple[Mapping[str, Any], ...] = ()
    tz: str = "Asia/Jakarta"
    ref: str = "000000"
    lookups: Mapping[str, Any] = field(default_factory=dict)

    def local_now(self) -> datetime:
        """`now` in the contact's time zone."""
        from zoneinfo import ZoneInfo

        return self.now.astimezone(ZoneInfo(self.tz))

    def today(self) -> date:
        return self.local_now().date()


@dataclass(frozen=True)
class State:
    flow: str | None = None
    step: str | None = None
    slots: Mapping[str, Any] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        return self.flow is None


IDLE = State()


@dataclass(frozen=True)
class Step:
    """The outcome of one step: the next state, the replies to send, the events to apply."""

    state: State = IDLE
    replies: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()


StepFn = Callable[[State, Message, Context], Step]
# A step of a flow under way may let the message go (None): the router reads it as if no flow
# were active (so no step module needs to import the router).
FlowStepFn = Callable[[State, Message, Context], Step | None]
