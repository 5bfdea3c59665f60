"""The context a step gets is read on demand: a message pays only for the lookups its step
reads (no 60-day slot scan for a greeting), and the replies are the same either way."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from bot import lookups


@pytest.fixture
def statements(rt):
    """The SQL statements the app runs, in order."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()).lower())

    event.listen(rt.engine, "before_cursor_execute", record)
    yield seen
    event.remove(rt.engine, "before_cursor_execute", record)


def _touching(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if f"from {table} " in s or s.endswith(f"from {table}")]


@pytest.mark.parametrize("text", ["halo", "makasih bu", "anak saya batuk pilek", "menu"])
def test_a_message_that_does_not_book_skips_the_visit_lookups(chat, statements, text):
    chat.send(text)
    assert _touching(statements, "visit") == []
    assert _touching(statements, "alert") == []  # a new contact has no open emergency to read


@pytest.mark.parametrize("text", ["batalin kunjungan", "ganti jadwal jadi kamis"])
def test_a_step_about_visits_reads_them(chat, statements, text):
    data = chat.send(text)
    assert data["replies"]
    assert _touching(statements, "visit"), "the step needs the contact's visits"


def test_a_new_contact_is_not_asked_for_its_household(chat, statements):
    chat.send("halo")
    assert _touching(statements, "person") == []
    statements.clear()
    chat.send("halo")  # the second message: the contact exists, its household is read
    assert _touching(statements, "person")


def test_lookups_run_once_and_only_when_read(rt):
    calls: list[str] = []
    providers = {
        "a": lambda deps, c: calls.append("a") or 1,
        "b": lambda deps, c: calls.append("b") or 2,
    }
    found = lookups.collect(None, None, providers)
    assert calls == [] and len(found) == 2 and set(found) == {"a", "b"}
    assert found.get("a") == 1 and found["a"] == 1
    assert calls == ["a"] and found.loaded == ("a",)
    assert found.get("missing") is None
    with pytest.raises(KeyError):
        found["missing"]


def test_the_handler_table_is_explicit_and_refuses_two_handlers_for_one_event():
    from bot import handlers

    assert handlers.HANDLERS["opted_out"] is handlers.contact.opted_out
    assert handlers.HANDLERS["alert_raised"] is handlers.reports.alert_raised
    assert set(handlers.PROVIDERS) == {"reminders", "emergency", "visits"}
    with pytest.raises(RuntimeError, match="two handlers"):
        handlers._merged([{"a": 1}, {"a": 2}])
