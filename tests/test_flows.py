"""Pure flow steps: no database, no NLU, a fixed time."""

from datetime import datetime, timezone

import pytest

from flows import keywords, router
from flows.base import AreaInfo, Context, Message, State
from flows.events import as_dicts
from tests.factories import resident_context

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)


def ctx(opted_out: bool = False, name: str | None = None) -> Context:
    return resident_context(NOW, name=name, opted_out=opted_out, ref="000000")


def msg(text: str, intent: str | None = None) -> Message:
    return Message(text=text, intent=intent, confidence=0.9, keyword=keywords.match(text))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("STOP", "opt_out"),
        ("  stop  ", "opt_out"),
        ("Berhenti", "opt_out"),
        ("UNREG", "opt_out"),
        ("stop   all", "opt_out"),
        ("unsubscribe", "opt_out"),
        ("MULAI", "opt_in"),
        ("start", "opt_in"),
        ("menu", "menu"),
        ("batal", "cancel"),
        ("stop kirim ke nomor ini", None),
        ("tolong berhenti", None),
        ("", None),
    ],
)
def test_keywords_are_exact(text, kind):
    assert keywords.match(text) == kind


def test_stop_keyword_opts_out_at_once():
    step = router.route(State(), msg("STOP"), ctx())
    assert [e["type"] for e in as_dicts(step.events)] == ["opted_out"]
    assert "MULAI" in step.replies[0]


def test_opt_out_intent_asks_first_then_yes_opts_out():
    step = router.route(State(), msg("jangan kirimi saya pesan lagi", "opt_out"), ctx())
    assert as_dicts(step.events) == ()
    assert step.state.flow == "opt_out"
    step2 = router.route(step.state, msg("ya", "affirm"), ctx())
    assert [e["type"] for e in as_dicts(step2.events)] == ["opted_out"]
    assert step2.state.idle


def test_opt_out_intent_then_no_keeps_subscription():
    step = router.route(State(), msg("udah ga mau dapet pesan", "opt_out"), ctx())
    step2 = router.route(step.state, msg("tidak", "deny"), ctx())
    assert as_dicts(step2.events) == () and step2.state.idle
    assert "tetap berlangganan" in step2.replies[0]


def test_opt_out_confirmation_gives_up_after_three_asks():
    state = router.route(State(), msg("stop kirim", "opt_out"), ctx()).state
    for _ in range(2):
        step = router.route(state, msg("apa?", "nlu_fallback"), ctx())
        assert step.state.flow == "opt_out"
        state = step.state
    step = router.route(state, msg("apa?", "nlu_fallback"), ctx())
    assert step.state.idle and as_dicts(step.events) == ()


def test_the_emergency_area_question_is_asked_three_times_then_a_kader_calls():
    areas = (AreaInfo("SKM", "Sukamaju", "desa"), AreaInfo("MKS", "Mekarsari", "desa"))
    c = resident_context(NOW, areas=areas, ref="100050")
    step = router.route(State(), msg("anak saya kejang kejang dari tadi"), c)
    assert step.state.step == "area" and "desa mana" in step.replies[-1]
    for _ in range(2):
        step = router.route(step.state, msg("hah"), c)
        assert step.state.step == "area" and as_dicts(step.events) == ()
    step = router.route(step.state, msg("hah"), c)
    assert step.state.idle and "Kader akan menghubungi Anda" in step.replies[0]
    assert as_dicts(step.events) == (
        {"type": "help_needed", "flow": "symptom", "step": "area", "ref": "100050"},
    )


def test_opted_out_contact_hears_nothing_but_start():
    assert router.route(State(), msg("halo", "greet"), ctx(opted_out=True)).replies == ()
    step = router.route(State(), msg("MULAI"), ctx(opted_out=True))
    assert [e["type"] for e in as_dicts(step.events)] == ["opted_in"]


def test_menu_keyword_leaves_a_flow():
    step = router.route(State("opt_out", "confirm", {"asked": 1}), msg("MENU"), ctx())
    assert step.state.idle and "1." in step.replies[0]


def test_greeting_uses_contact_name():
    step = router.route(State(), msg("halo", "greet"), ctx(name="Sari"))
    assert "Halo Sari" in step.replies[0]


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope", None])
def test_fallback_says_what_the_bot_can_do(intent):
    step = router.route(State(), msg("wkwkwk", intent), ctx())
    assert "MENU" in step.replies[0]


def test_needs_nlu_skips_keywords_but_not_opted_out():
    assert not router.needs_nlu(State(), msg("STOP"), ctx())
    # an opted-out contact's message is still parsed: a danger sign must be caught
    assert router.needs_nlu(State(), msg("anak saya kejang"), ctx(opted_out=True))
    assert not router.needs_nlu(State(), msg("   "), ctx())
    assert router.needs_nlu(State(), msg("halo"), ctx())


@pytest.mark.parametrize(
    ("lines", "per_page", "expected"),
    [
        ([], 3, [[]]),
        (["- a", "- b"], 3, [["- a", "- b"]]),
        (["- a", "- b", "- c", "- d"], 3, [["- a", "- b", "- c"], ["- d"]]),
        # a heading never stays alone at the bottom of a page
        (["- a", "- b", "Head:", "- c"], 3, [["- a", "- b"], ["Head:", "- c"]]),
        (["- " + "x" * 50] * 3, 10, [["- " + "x" * 50] * 2, ["- " + "x" * 50]]),  # characters
    ],
)
def test_schedule_pages(lines, per_page, expected):
    from flows.booking import pages

    assert pages(lines, per_page, max_chars=120) == expected


@pytest.mark.parametrize(
    ("text", "is_duration"),
    [
        ("udh semingguan", True),  # second trial of 2026-12-06: asked "Sejak kapan?" again
        ("3 harian", True),
        ("dari kemarin", True),
        ("seminggu", True),
        ("hamil 8 bulanan", False),  # how far along, not since when
    ],
)
def test_a_duration_said_loosely_answers_since_when(text, is_duration):
    from flows.reports import DURATION

    assert bool(DURATION.search(text)) is is_duration
