from datetime import datetime, timezone

import pytest

from bot.catalog import load_catalog
from flows.base import ContactInfo, Context, Message, State
from flows.info import ask_info, find_topic, topics


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("apa efek samping imunisasi?", "info.side_effects"),
        ("anak sy panas setelah imunisasi normal ga", "info.side_effects"),
        ("bcg itu buat apa", "info.bcg"),
        ("apa saja tanda bahaya kehamilan", "info.pregnancy_danger"),
        ("ckg itu apa bu", "info.ckg"),
        ("apa itu ILP", "info.ilp"),
        ("kapan bagi kapsul merah", "info.vitamin_a"),
        ("harga cabai berapa", None),
    ],
)
def test_find_topic(text, key):
    assert find_topic(text) == key


def test_every_topic_has_a_catalog_text_and_source():
    cat = load_catalog("id")
    assert len(topics()) >= 10
    for _, key, words in topics():
        assert key in cat.texts and words


def test_unknown_question_is_forwarded_to_kader():
    ctx = Context(
        now=datetime(2026, 11, 22, tzinfo=timezone.utc),
        contact=ContactInfo(1, "+6281234567890", "whatsapp"),
        t=load_catalog("id").t,
        ref="100001",
    )
    step = ask_info(State(), Message("boleh minum jamu saat menyusui?", "ask_info"), ctx)
    assert step.events[0]["type"] == "question_forwarded"
    assert "kader/bidan" in step.replies[0]
