"""The typed events of flows/events.py: their dicts are the logged format of old."""

from __future__ import annotations

from bot.handlers import HANDLERS
from flows.events import (
    EVENT_TYPES,
    AlertRaised,
    PersonAdded,
    PersonUpdated,
    ReportFiled,
    VisitCancelled,
    as_dict,
    type_of,
)


def test_every_handled_kind_has_a_dataclass():
    assert set(HANDLERS) <= set(EVENT_TYPES)
    assert all(cls.type == name for name, cls in EVENT_TYPES.items())


def test_to_dict_is_the_old_dict_and_leaves_unset_optional_keys_out():
    assert VisitCancelled(ref="100003", place=None).to_dict() == {
        "type": "visit_cancelled",
        "ref": "100003",
        "place": None,
    }
    assert PersonUpdated(person_id=2, field="name", value="Bagus").to_dict() == {
        "type": "person_updated",
        "person_id": 2,
        "field": "name",
        "value": "Bagus",
    }
    added = PersonAdded(name="Sari", role="pregnant", hpht="2026-05-01", hpht_estimated=False)
    assert added.to_dict()["hpht_estimated"] is False
    assert "mother_name" not in added.to_dict()


def test_report_keys_keep_their_order():
    routine = ReportFiled(ref="1", urgency="routine", symptoms=[], person_id=None, duration="2d")
    assert list(routine.to_dict()) == [
        "type", "ref", "urgency", "symptoms", "person_id", "duration", "about", "text",
    ]  # fmt: skip
    alert = AlertRaised(kind="symptom", ref="1", urgency="emergency", symptoms=[], person_id=1,
                        matched=["x"], signs=["X"], area_code="SKM")  # fmt: skip
    assert list(alert.to_dict())[:3] == ["type", "kind", "ref"]
    assert "duration" not in alert.to_dict() and alert.to_dict()["area_code"] == "SKM"


def test_dicts_pass_as_they_are():
    old = {"type": "info_given", "topic": "x"}
    assert as_dict(old) is old and type_of(old) == "info_given"
    assert type_of(VisitCancelled(ref="1", place="home")) == "visit_cancelled"
