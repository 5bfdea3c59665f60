"""The safety nets on the intent: health words are never dropped, thanks get a friendly reply."""

import pytest

from bot.catalog import load_catalog
from flows.answers import yes_no
from flows.base import IDLE, Message, State
from flows.events import as_dicts
from flows.router import start
from flows.understanding import (
    _load,
    acknowledgement,
    check,
    emoji_yes_no,
    health_intent,
    is_question,
    mentions_health,
)
from tests.factories import resident_context


def test_the_lexicons_load_and_are_valid():
    lexicons = check()
    assert "leher" in lexicons["health_words"]["body_parts"]
    assert "benjolan" in lexicons["health_words"]["symptoms"]
    assert "hatur nuhun" in lexicons["thanks"]["thanks"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("a: [x]\n", "'b' must be a non-empty list"),
        ("a: [x]\nb: []\n", "'b' must be a non-empty list"),
        ("a: [Leher]\nb: [x]\n", "not a lowercase word"),
        ("a: [x, y, x]\nb: [z]\n", "lists ['x'] twice"),
        ("a: [x]\nb: [z]\nc: [q]\n", "unknown keys ['c']"),
    ],
)
def test_a_bad_lexicon_is_refused_with_its_file_name(tmp_path, body, error):
    path = tmp_path / "words.yml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match="words.yml") as raised:
        _load(path, ("a", "b"))
    assert error in str(raised.value)


@pytest.mark.parametrize(
    "text",
    [
        "ada benjolan di leher",
        "lehernya benjol",
        "sikile abuh",
        "gatal2 di selangkangan",
        "gatal-gatal semua",
        "sirahna nyeri",
        "my knee hurts",
        "\U0001f912",  # face with thermometer
        "KAKI BAYI SAYA BIRU",
    ],
)
def test_body_parts_and_symptom_words_are_found(text):
    assert mentions_health(text)


@pytest.mark.parametrize(
    "text",
    [
        "kepala desa siapa namanya",
        "tanda tangan di mana",
        "rumah sakit terdekat di mana",
        "harga cabai berapa",
        "jual pulsa murah",
        "mau beli suku cadang motor",
        "makasih bu",
        "",
    ],
)
def test_words_that_only_look_like_health_are_not(text):
    assert not mentions_health(text)


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("benjolan di leher itu bahaya ga", True),
        ("kalo anak demam boleh mandi", True),
        ("kumaha ngubaran batuk", True),
        ("kaki bengkak?", True),
        ("gatalnya kenapa ya", True),
        ("ada benjolan di leher", False),
        ("kaki saya ga bisa digerakkan", False),
    ],
)
def test_questions(text, question):
    assert is_question(text) is question


@pytest.mark.parametrize(
    ("intent", "text", "rescued"),
    [
        ("out_of_scope", "ada benjolan di leher", "report_symptom"),
        ("nlu_fallback", "punggung pegel terus", "report_symptom"),
        (None, "lutut sakit", "report_symptom"),
        ("nlu_fallback", "benjolan di leher itu apa?", "ask_info"),
        ("out_of_scope", "kalau gusi berdarah boleh sikat gigi", "ask_info"),
        ("out_of_scope", "harga cabai berapa", None),  # no health word: stays dropped
        ("greet", "halo bu, kaki saya bengkak", None),  # a real intent stands
        ("report_symptom", "ada benjolan di leher", None),
    ],
)
def test_health_intent_replaces_only_a_dropped_intent(intent, text, rescued):
    assert health_intent(intent, text) == rescued


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("makasih", "thanks"),
        ("terima kasih bu", "thanks"),
        ("Terima kasih banyak ya bu bidan", "thanks"),
        ("hatur nuhun", "thanks"),
        ("matur nuwun", "thanks"),
        ("makasiii bu \U0001f64f\U0001f64f", "thanks"),
        ("\U0001f64f", "thanks"),
        ("\U0001f44d", "ack"),
        ("\U0001f44d\U0001f3fb", "ack"),  # with a skin tone
        ("ok sip", "ack"),
        ("siap bu", "ack"),
        ("\U0001f600\u2764\ufe0f", "ack"),  # any emoji-only message gets a friendly reply
        ("makasih ya, dadah", None),  # a farewell: the goodbye
        ("makasih, anak saya demam", None),
        ("ok besok saya ke pustu", None),
        ("...", None),
        ("", None),
    ],
)
def test_acknowledgements(text, kind):
    assert acknowledgement(text) == kind


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("\U0001f44d", True),
        ("\U0001f44d\U0001f3fd", True),
        ("\U0001f44c\U0001f44c", True),
        ("\u2705", True),
        ("\U0001f44e", False),
        ("\u274c", False),
        ("\U0001f44d\U0001f44e", None),
        ("\U0001f64f", None),
        ("ya", None),
    ],
)
def test_emoji_yes_no(text, answer):
    assert emoji_yes_no(text) is answer


def test_a_thumbs_up_inside_a_yes_no_question_is_a_yes_whatever_the_nlu_said():
    for intent in ("nlu_fallback", "out_of_scope", "goodbye", None):
        assert yes_no(Message("\U0001f44d", intent)) is True
        assert yes_no(Message("\U0001f44e", intent)) is False


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("mangga", True),  # Sundanese "go ahead" (consent was refused three times)
        ("mangga bu", True),
        ("sumangga", True),
        ("monggo mbak", True),
        ("inggih", True),
        ("silakan", True),
        ("boleh", True),
        ("mangga teu", None),  # a no word in it: not a yes, asked again
        ("teu acan", False),
    ],
)
def test_go_ahead_words_answer_a_yes_no_question(text, answer):
    assert yes_no(Message(text, "nlu_fallback")) is answer


@pytest.mark.parametrize(
    ("text", "intent", "key"),
    [
        ("makasih", "goodbye", "menu.thanks"),
        ("hatur nuhun", "goodbye", "menu.thanks"),
        ("\U0001f64f", "out_of_scope", "menu.thanks"),
        ("\U0001f44d", "nlu_fallback", "menu.ack"),
        ("siap bu", "affirm", "menu.ack"),
        ("makasih ya, dadah", "goodbye", "menu.goodbye"),
        ("wkwkwk", "out_of_scope", "menu.fallback"),
    ],
)
def test_start_answers_thanks_and_acknowledgements(text, intent, key):
    step = start(Message(text, intent, 0.9), resident_context())
    assert step.replies == (load_catalog("id").t(key),)
    assert step.state == IDLE


def test_start_turns_a_dropped_health_message_into_a_symptom_report():
    step = start(Message("ada benjolan di leher", "out_of_scope", 0.7), resident_context())
    assert step.state.flow == "symptom"
    assert step.state.slots["text"] == "ada benjolan di leher"
    assert step.replies == (load_catalog("id").t("report.ask_since"),)


def test_start_sends_a_dropped_health_question_to_the_info_answers():
    step = start(
        Message("benjolan di leher itu bahaya ga?", "nlu_fallback", 0.5), resident_context()
    )
    assert as_dicts(step.events)[0]["type"] == "question_forwarded"  # no topic: the kader answers
    step = start(Message("kalo habis imunisasi demam gmn", "nlu_fallback", 0.5), resident_context())
    assert as_dicts(step.events)[0] == {
        "type": "info_given",
        "topic": "info.fever_after_immunisation",
    }


def test_a_flow_question_is_answered_by_its_step_not_by_the_thanks_reply():
    from flows.router import route

    state = State("opt_out", "confirm", {"asked": 1})
    step = route(state, Message("\U0001f44d", "nlu_fallback", 0.5), resident_context())
    assert step.replies == (load_catalog("id").t("optout.done"),)
    assert as_dicts(step.events) == ({"type": "opted_out", "via": "confirmed"},)
