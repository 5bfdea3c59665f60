"""The asking rule every flow uses: a question at most MAX_ASKS times in a row, then a person."""

from datetime import datetime, timezone

from flows import asking
from flows.base import State, Step
from flows.events import as_dicts
from tests.factories import resident_context

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
CTX = resident_context(NOW, ref="100123")


def test_a_new_question_starts_the_count():
    step = asking.ask(
        "demo", "name", {"asked": 2, "x": 1}, "Siapa namanya?", events=({"type": "e"},)
    )
    assert step.state == State("demo", "name", {"asked": 0, "x": 1})
    assert step.replies == ("Siapa namanya?",) and as_dicts(step.events) == ({"type": "e"},)


def test_the_same_question_is_asked_max_asks_times_then_a_person_takes_over():
    step, times = asking.ask("demo", "name", {}, "Siapa namanya?"), 1
    for _ in range(asking.MAX_ASKS - 1):  # an unclear answer each time: asked again
        step = asking.again(step.state, CTX, "Maaf, siapa namanya?")
        assert step.state.step == "name" and as_dicts(step.events) == ()
        times += 1
    assert times == asking.MAX_ASKS == 3
    step = asking.again(step.state, CTX, "Maaf, siapa namanya?")  # the third unclear answer
    assert step.state.idle and step.replies == (CTX.t("menu.human"),)
    assert as_dicts(step.events) == (
        {"type": "help_needed", "flow": "demo", "step": "name", "ref": "100123"},
    )


def test_again_keeps_the_slots_and_applies_the_changes():
    step = asking.again(
        State("demo", "when", {"asked": 0, "a": 1}), CTX, "x", "y", changes={"b": 2}
    )
    assert step.state == State("demo", "when", {"asked": 1, "a": 1, "b": 2})
    assert step.replies == ("x", "y") and as_dicts(step.events) == ()


def test_a_flow_may_give_up_its_own_way():
    kept = Step(replies=("tetap",))
    state = State("demo", "confirm", {"asked": asking.MAX_ASKS - 1})
    assert asking.again(state, CTX, "lagi?", give_up=kept) is kept


def test_a_person_takes_over_after_what_was_said():
    step = asking.human(State("demo", "when", {}), CTX, "Tidak ada jadwal.")
    assert step.state.idle and step.replies == ("Tidak ada jadwal.", CTX.t("menu.human"))
    assert as_dicts(step.events)[0]["type"] == "help_needed"


def test_the_count_is_left_behind():
    assert asking.without_count({"asked": 2, "name": "Ani"}) == {"name": "Ani"}
