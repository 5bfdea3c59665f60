"""The domain events flows emit, one frozen dataclass per kind (pure: no I/O).

Each class names its kind in the class-level `type` (the string the event log and the
handler table use); its fields are named exactly as the keys of the event's payload.
`to_dict()` gives the event as it is logged: {"type": ..., **fields}, where a field marked
`_omitted()` is left out while it is None (a key only some events of the kind carry).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

_OMIT = "omit_if_none"


def _omitted() -> Any:
    """A field the payload carries only when it is set (left out of `to_dict` while None)."""
    return field(default=None, metadata={_OMIT: True})


@dataclass(frozen=True, kw_only=True)
class FlowEvent:
    """The base of every event: `type` is the kind, the fields are the payload."""

    type: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get(_OMIT):
                continue
            out[f.name] = value
        return out


def as_dict(event: FlowEvent | dict[str, Any]) -> dict[str, Any]:
    """An event as the handlers and the log see it (a dict passes as it is)."""
    return event.to_dict() if isinstance(event, FlowEvent) else event


def as_dicts(events: Iterable[FlowEvent | dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Events as logged: each as the dict `as_dict` gives."""
    return tuple(as_dict(e) for e in events)


def type_of(event: FlowEvent | dict[str, Any]) -> str:
    return event.type if isinstance(event, FlowEvent) else event["type"]


# ----------------------------------------------------------------------------- contact


@dataclass(frozen=True, kw_only=True)
class OptedOut(FlowEvent):
    type: ClassVar[str] = "opted_out"
    via: str  # keyword | confirmed


@dataclass(frozen=True, kw_only=True)
class OptedIn(FlowEvent):
    type: ClassVar[str] = "opted_in"
    via: str


@dataclass(frozen=True, kw_only=True)
class ContactPhoneChanged(FlowEvent):
    type: ClassVar[str] = "contact_phone_changed"
    new_phone: str


@dataclass(frozen=True, kw_only=True)
class ContactMoved(FlowEvent):
    type: ClassVar[str] = "contact_moved"
    area_code: str


@dataclass(frozen=True, kw_only=True)
class ServiceRequested(FlowEvent):
    type: ClassVar[str] = "service_requested"
    intent: str | None


@dataclass(frozen=True, kw_only=True)
class FlowCancelled(FlowEvent):
    type: ClassVar[str] = "flow_cancelled"
    flow: str | None


@dataclass(frozen=True, kw_only=True)
class HelpNeeded(FlowEvent):
    type: ClassVar[str] = "help_needed"
    flow: str | None
    step: str | None
    ref: str


@dataclass(frozen=True, kw_only=True)
class KaderCommand(FlowEvent):
    type: ClassVar[str] = "kader_command"
    command: str
    ref: str | None


# ----------------------------------------------------------------------------- registration


@dataclass(frozen=True, kw_only=True)
class ConsentDeclined(FlowEvent):
    type: ClassVar[str] = "consent_declined"


@dataclass(frozen=True, kw_only=True)
class ConsentGiven(FlowEvent):
    type: ClassVar[str] = "consent_given"
    at: str  # ISO time


@dataclass(frozen=True, kw_only=True)
class ContactRegistered(FlowEvent):
    type: ClassVar[str] = "contact_registered"
    name: str
    area_code: str | None


@dataclass(frozen=True, kw_only=True)
class PersonAdded(FlowEvent):
    type: ClassVar[str] = "person_added"
    name: str
    role: str
    sex: str | None = None
    birth_date: str | None = None
    birth_date_estimated: bool = False
    hpht: str | None = None
    edd: str | None = None
    hpht_estimated: bool | None = _omitted()  # pregnant members only
    mother_name: str | None = _omitted()  # children whose mother is known only


@dataclass(frozen=True, kw_only=True)
class PersonUpdated(FlowEvent):
    type: ClassVar[str] = "person_updated"
    person_id: int
    field: str
    value: Any
    estimated: bool | None = _omitted()  # birth_date only


@dataclass(frozen=True, kw_only=True)
class PersonRemoved(FlowEvent):
    type: ClassVar[str] = "person_removed"
    person_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class AncHistoryReported(FlowEvent):
    type: ClassVar[str] = "anc_history_reported"
    name: str
    count: int
    weeks: int


@dataclass(frozen=True, kw_only=True)
class KiaHistoryReported(FlowEvent):
    type: ClassVar[str] = "kia_history_reported"
    name: str
    answer: str
    doses: list[dict[str, Any]]  # {item, given_on, estimated}


# ----------------------------------------------------------------------------- births


@dataclass(frozen=True, kw_only=True)
class BirthReported(FlowEvent):
    type: ClassVar[str] = "birth_reported"
    mother_person_id: int | None
    mother_name: str
    delivery_date: str
    baby_name: str
    baby_sex: str | None
    area_code: str | None
    gestation_weeks: int | None
    weeks_estimated: bool
    preterm: bool
    ref: str


@dataclass(frozen=True, kw_only=True)
class PregnancyLost(FlowEvent):
    type: ClassVar[str] = "pregnancy_lost"
    mother_person_id: int | None
    mother_name: str
    loss_date: str
    gestation_weeks: int | None
    area_code: str | None
    ref: str


# ----------------------------------------------------------------------------- reminders


@dataclass(frozen=True, kw_only=True)
class ReminderNotYet(FlowEvent):
    type: ClassVar[str] = "reminder_not_yet"


@dataclass(frozen=True, kw_only=True)
class DosesReported(FlowEvent):
    type: ClassVar[str] = "doses_reported"
    items: list[dict[str, Any]]
    given_on: str


# ----------------------------------------------------------------------------- reports


@dataclass(frozen=True, kw_only=True)
class ReportFiled(FlowEvent):
    """A symptom report; `matched` and `signs` come with emergencies, `duration` with
    routine reports, `area_code` when the report names or implies one."""

    type: ClassVar[str] = "report_filed"
    ref: str
    urgency: str  # emergency | routine
    symptoms: list[str]
    person_id: int | None
    matched: list[str] | None = _omitted()
    signs: Any = _omitted()
    duration: Any = _omitted()
    about: str = ""
    text: str = ""
    area_code: str | None = _omitted()


@dataclass(frozen=True, kw_only=True)
class AlertRaised(FlowEvent):
    """The alert a symptom report raises: the report's fields after `kind`."""

    type: ClassVar[str] = "alert_raised"
    kind: str
    ref: str
    urgency: str
    symptoms: list[str]
    person_id: int | None
    matched: list[str] | None = _omitted()
    signs: Any = _omitted()
    duration: Any = _omitted()
    about: str = ""
    text: str = ""
    area_code: str | None = _omitted()


@dataclass(frozen=True, kw_only=True)
class AlertUpdated(FlowEvent):
    type: ClassVar[str] = "alert_updated"
    ref: str
    n: str
    text: str
    symptoms: list[str]
    matched: list[str]
    signs: Any


@dataclass(frozen=True, kw_only=True)
class AlertAreaGiven(FlowEvent):
    type: ClassVar[str] = "alert_area_given"
    ref: str | None
    area_code: str


@dataclass(frozen=True, kw_only=True)
class ComplaintFiled(FlowEvent):
    type: ClassVar[str] = "complaint_filed"
    ref: str
    category: str
    facility: str
    text: str


@dataclass(frozen=True, kw_only=True)
class InfoGiven(FlowEvent):
    type: ClassVar[str] = "info_given"
    topic: str


@dataclass(frozen=True, kw_only=True)
class QuestionForwarded(FlowEvent):
    type: ClassVar[str] = "question_forwarded"
    ref: str
    text: str


# ----------------------------------------------------------------------------- visits


@dataclass(frozen=True, kw_only=True)
class VisitBooked(FlowEvent):
    type: ClassVar[str] = "visit_booked"
    ref: str
    person_id: int | None
    person_name: str | None
    purpose: str
    place: str
    scheduled_at: str
    local_date: str
    local_time: str


@dataclass(frozen=True, kw_only=True)
class VisitRequested(FlowEvent):
    """A home visit asked for: as booked, with the area to visit."""

    type: ClassVar[str] = "visit_requested"
    ref: str
    person_id: int | None
    person_name: str | None
    purpose: str
    place: str
    scheduled_at: str
    local_date: str
    local_time: str
    area_code: str | None


@dataclass(frozen=True, kw_only=True)
class VisitRescheduled(FlowEvent):
    type: ClassVar[str] = "visit_rescheduled"
    ref: str
    place: str
    scheduled_at: str
    local_date: str
    local_time: str


@dataclass(frozen=True, kw_only=True)
class VisitCancelled(FlowEvent):
    type: ClassVar[str] = "visit_cancelled"
    ref: str
    place: str | None


EVENT_TYPES: dict[str, type[FlowEvent]] = {
    cls.type: cls
    for cls in FlowEvent.__subclasses__()  # every kind, by its type name
}
